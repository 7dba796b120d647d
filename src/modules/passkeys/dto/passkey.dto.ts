import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import type { AuthenticationResponseJSON, RegistrationResponseJSON } from '@simplewebauthn/server';

export class RegisterPasskeyDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What navigator.credentials.create() answered, as JSON (PublicKeyCredential.toJSON(), or @simplewebauthn/browser\'s startRegistration()).' })
  @IsObject()
  response: RegistrationResponseJSON;

  @ApiPropertyOptional({ maxLength: 100, example: 'Laptop', description: 'A name to tell it apart; default "Passkey".' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(100)
  name?: string;
}

export class PasskeySignInDto {
  @ApiProperty({ type: 'object', additionalProperties: true, description: 'What navigator.credentials.get() answered, as JSON (PublicKeyCredential.toJSON(), or @simplewebauthn/browser\'s startAuthentication()).' })
  @IsObject()
  response: AuthenticationResponseJSON;
}

export class RenamePasskeyDto {
  @ApiProperty({ maxLength: 100, example: 'Work laptop' })
  @IsString() @IsNotEmpty() @MaxLength(100)
  name: string;
}

export class CeremonyOptionsDto {
  @ApiProperty({ description: 'A single-use challenge, valid 5 minutes.' }) challenge: string;
}
