import { Controller, Get, Post } from '@nestjs/common';
import { ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { OAuthProviderService } from './oauth-provider.service';
import { SigningKeysService } from './signing-keys.service';

export class SigningKeySetDto {
  @ApiProperty({ example: 'osk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', description: 'The kid that signs ID tokens now.' }) active: string;
  @ApiProperty({ example: 'osk_01JD2V6ZQ8W3M9Q7R4T5Y6U7V9', description: 'Published in the JWKS already; signs after the next rotation.' }) next: string;
  @ApiProperty({ type: [String], description: 'Retired keys, still published for a day so that ID tokens they signed can be verified.' }) retired: string[];
}

/** Platform operators: the OAuth provider's signing keys. To anyone else these routes do not exist. */
@ApiTags('Admin (platform operators)')
@Controller('admin/oauth/signing-keys')
export class OAuthAdminController {
  constructor(
    private readonly provider: OAuthProviderService,
    private readonly keys: SigningKeysService,
  ) {}

  @Get()
  @ApiOperation({ summary: "The OAuth provider's signing keys, by state" })
  @Authenticated({ operator: true })
  @Returns(SigningKeySetDto, 'Signing keys fetched.')
  get(): Promise<SigningKeySetDto> {
    return this.keys.summary();
  }

  @Post('rotate')
  @ApiOperation({ summary: "Rotate the OAuth provider's signing keys", description: 'The next key (already in the JWKS) starts signing, the active one retires (published one more day), and a new next key is published. Every API process switches within seconds.' })
  @Authenticated({ operator: true })
  @Audited('oauth.signing_keys.rotated', 'oauth_signing_key')
  @Returns(SigningKeySetDto, 'Signing keys rotated.', { status: 200 })
  rotate(): Promise<SigningKeySetDto> {
    return this.provider.rotateKeys();
  }
}
