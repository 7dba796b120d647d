import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, MaxLength, Validate, ValidatorConstraint, ValidatorConstraintInterface, ValidationArguments } from 'class-validator';
import { ScopePatternConstraint } from '../../auth/scope-pattern.validator';
import { OAUTH_CLIENT_TYPES, OAuthClientType } from '../oauth-client.entity';
import { MAX_REDIRECT_URI_LENGTH, MAX_REDIRECT_URIS, redirectUriProblem } from '../redirect-uris';

@ValidatorConstraint({ name: 'redirectUri' })
class RedirectUriConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && redirectUriProblem(value) === null;
  }
  defaultMessage(args: ValidationArguments): string {
    const problem = typeof args.value === 'string' ? redirectUriProblem(args.value) : 'must be a string';
    return `each redirect URI ${problem ?? 'is invalid'}`;
  }
}

const REDIRECT_DESCRIPTION = `Where the provider may send the user back, matched exactly (no prefix, no pattern): https URLs, or http on 127.0.0.1 or [::1] for a native app; no fragment, no credentials, canonical form. At most ${MAX_REDIRECT_URIS}.`;
const SCOPES_DESCRIPTION = 'Catalog scopes the app may ask for (GET /api/v1/scopes; wildcards are expanded when saved). OpenID Connect scopes (openid, offline_access, profile, email) are always allowed. A user grants only what their role holds in the workspace they pick.';

export class CreateOAuthClientDto {
  @ApiProperty({ maxLength: 100, example: 'Acme Analytics', description: 'Shown to users on the consent page.' })
  @IsString() @IsNotEmpty() @MaxLength(100)
  name: string;

  @ApiProperty({ enum: OAUTH_CLIENT_TYPES, example: 'confidential', description: 'confidential: a server that keeps a client_secret (shown once, in this answer). public: a browser or native app with no secret (PKCE is required of every client anyway).' })
  @IsIn(OAUTH_CLIENT_TYPES)
  type: OAuthClientType;

  @ApiProperty({ type: [String], example: ['https://app.example.com/oauth/callback'], description: REDIRECT_DESCRIPTION })
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(MAX_REDIRECT_URIS) @IsString({ each: true }) @MaxLength(MAX_REDIRECT_URI_LENGTH, { each: true }) @Validate(RedirectUriConstraint, { each: true })
  redirect_uris: string[];

  @ApiProperty({ type: [String], example: ['posts:read', 'posts:write'], description: SCOPES_DESCRIPTION })
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(64) @IsString({ each: true }) @Validate(ScopePatternConstraint, { each: true })
  scopes: string[];
}

export class UpdateOAuthClientDto {
  @ApiPropertyOptional({ maxLength: 100 })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(100)
  name?: string;

  @ApiPropertyOptional({ type: [String], description: `${REDIRECT_DESCRIPTION} Replaces the list.` })
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayMaxSize(MAX_REDIRECT_URIS) @IsString({ each: true }) @MaxLength(MAX_REDIRECT_URI_LENGTH, { each: true }) @Validate(RedirectUriConstraint, { each: true })
  redirect_uris?: string[];

  @ApiPropertyOptional({ type: [String], description: `${SCOPES_DESCRIPTION} Replaces the list; tokens already issued lose at once the scopes taken away.` })
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayMaxSize(64) @IsString({ each: true }) @Validate(ScopePatternConstraint, { each: true })
  scopes?: string[];
}
