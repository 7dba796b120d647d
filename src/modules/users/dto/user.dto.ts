import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsOptional, IsString, Length, MaxLength } from 'class-validator';

export class UpdateMeDto {
  @ApiPropertyOptional({ maxLength: 255 })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({ minLength: 8, maxLength: 128, description: 'A new password; current_password is then required.' })
  @IsOptional() @IsString() @Length(8, 128)
  password?: string;

  @ApiPropertyOptional({ format: 'email', description: 'A new e-mail; current_password is then required. It applies once the token mailed to the new address is confirmed (POST /me/email/confirm).' })
  @IsOptional() @IsEmail() @MaxLength(254)
  email?: string;

  @ApiPropertyOptional({ description: 'The current password, required to change the password or the e-mail.' })
  @IsOptional() @IsString() @MaxLength(128)
  current_password?: string;
}

export class ConfirmEmailDto {
  @ApiProperty({ description: 'The token mailed to the new address.', example: 'tsr_emc_…' })
  @IsString() @IsNotEmpty() @MaxLength(200)
  token: string;
}

export class AccountFieldsDto {
  @ApiProperty({ maxLength: 255, example: 'Ada Lovelace' })
  @IsString() @IsNotEmpty() @MaxLength(255)
  name: string;

  @ApiProperty({ format: 'email', maxLength: 254, example: 'ada@example.com' })
  @IsEmail() @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 128, example: 'correct horse battery staple' })
  @IsString() @Length(8, 128)
  password: string;
}
