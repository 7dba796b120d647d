import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AliasOf } from '@tessera/common';
import { IsBoolean, IsEmail, IsNotEmpty, IsOptional, IsString, Length, MaxLength, ValidateIf } from 'class-validator';
import { AccountFieldsDto } from '../../users/dto/user.dto';

export class RegisterDto extends AccountFieldsDto {
  @ApiPropertyOptional({ maxLength: 255, description: "Name of the first workspace; defaults to \"<name>'s workspace\"." })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255)
  workspace_name?: string;
}

export class LoginDto {
  @ApiProperty({ format: 'email', example: 'ada@example.com' })
  @IsEmail() @MaxLength(254)
  email: string;

  @ApiProperty({ example: 'correct horse battery staple' })
  @IsString() @IsNotEmpty() @MaxLength(128)
  password: string;

  @ApiPropertyOptional({ description: 'A workspace id or slug: the access token is then bound to it and needs no X-Workspace-ID.' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(64)
  workspace?: string;

  @ApiPropertyOptional({ description: 'Alias of `workspace` (the Intuka seed\'s name). Different from `workspace` when both are sent: 422.' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(64) @AliasOf('workspace')
  tenantSlug?: string;

  @ApiPropertyOptional({ default: false, description: 'true: a browser session instead of tokens — the HttpOnly session cookie (SameSite=Lax; over HTTPS named __Host-tessera_session, Secure, else tessera_session) and the CSRF cookie (__Host-tessera_csrf, or tessera_csrf over HTTP), whose value (also `csrf_token` in the answer) every state-changing request must send as X-CSRF-Token from an allowed Origin.' })
  @IsOptional() @IsBoolean()
  session?: boolean;
}

export class MagicLinkDto {
  @ApiProperty({ format: 'email', example: 'ada@example.com' })
  @IsEmail() @MaxLength(254)
  email: string;
}

export class RefreshDto {
  @ApiPropertyOptional({ example: 'tsr_rt_…', description: 'Required, unless its alias `refreshToken` is sent.' })
  @ValidateIf((o: RefreshDto) => o.refreshToken === undefined)
  @IsString() @IsNotEmpty() @MaxLength(200)
  refresh_token?: string;

  @ApiPropertyOptional({ description: 'Alias of `refresh_token` (the Intuka seed\'s name). Different from `refresh_token` when both are sent: 422.' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200) @AliasOf('refresh_token')
  refreshToken?: string;
}

export class ForgotPasswordDto {
  @ApiProperty({ format: 'email' })
  @IsEmail() @MaxLength(254)
  email: string;
}

export class ResetPasswordDto {
  @ApiProperty({ example: 'tsr_rst_…', description: 'The token from the e-mail.' })
  @IsString() @IsNotEmpty() @MaxLength(200)
  token: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString() @Length(8, 128)
  password: string;
}

export class RevokeDto {
  @ApiProperty({ description: 'Any token Tessera issued you: a refresh token, an access token (from login, refresh or GET /auth/token), a personal access token or an API key.', maxLength: 8192 })
  @IsString() @IsNotEmpty() @MaxLength(8192)
  token: string;
}

export class MagicLinkVerifyQuery {
  @ApiProperty({ example: 'tsr_ml_…', description: 'The token of the e-mailed link.' })
  @IsString() @IsNotEmpty() @MaxLength(200)
  token: string;
}

export class MagicLinkVerifyDto {
  @ApiProperty({ example: 'tsr_ml_…', description: 'The token of the e-mailed link (the `token` of its query).' })
  @IsString() @IsNotEmpty() @MaxLength(200)
  token: string;
}
