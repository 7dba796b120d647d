import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Validate, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';
import { isAllowedDomainName, MAX_ALLOWED_DOMAINS } from '../sso-rules';

@ValidatorConstraint({ name: 'domainName' })
class DomainNameConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isAllowedDomainName(value);
  }
  defaultMessage(): string {
    return 'each allowed domain must be a lower-case domain name such as example.com (no wildcard, no @)';
  }
}

export class PutSsoConnectionDto {
  @ApiProperty({ example: 'https://login.example.com', maxLength: 2000, description: "The identity provider's issuer identifier: https (and public addresses); its discovery document is fetched when saved." })
  @IsString() @IsNotEmpty() @MaxLength(2000)
  issuer: string;

  @ApiProperty({ example: 'tessera-acme', maxLength: 255, description: 'The client_id this workspace has at the provider.' })
  @IsString() @IsNotEmpty() @MaxLength(255)
  client_id: string;

  @ApiPropertyOptional({ maxLength: 1024, description: 'The client secret at the provider (client_secret_basic). Stored sealed, never shown again. Required the first time and with another issuer; omitted, the stored one stays (it is only ever sent to the issuer it was given for).' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(1024)
  client_secret?: string;

  @ApiProperty({ type: [String], example: ['acme.com'], description: `E-mail domains whose verified addresses may sign in (an account is created, or an existing one with that address linked). At most ${MAX_ALLOWED_DOMAINS}.` })
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(MAX_ALLOWED_DOMAINS) @IsString({ each: true }) @Validate(DomainNameConstraint, { each: true })
  allowed_domains: string[];

  @ApiProperty({ example: 'member', maxLength: 64, description: 'The role of an account that joins through the provider: admin, member, viewer or a custom role id; never owner, never more than you may grant.' })
  @IsString() @IsNotEmpty() @MaxLength(64) @Matches(/^(?!owner$)/, { message: 'default_role may not be owner' })
  default_role: string;
}
