import { Body, Controller, Delete, Get, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Returns } from '@tessera/common';
import { Audited } from '../audit/audited.decorator';
import { Authenticated } from '../auth/authenticated.decorator';
import { CurrentPrincipal, Principal, signedInUserIdOf, unboundSignedInUserIdOf } from '../auth/principal';
import { Scope } from '../auth/scopes';
import { UsersService } from '../users/users.service';
import { MfaStatusDto, RecoveryCodesDto, SecondFactorDto, TotpCodeDto, TotpEnrolmentDto } from './dto/mfa.dto';
import { MfaService } from './mfa.service';

@ApiTags('Multi-factor sign-in')
@Controller('me/mfa')
export class MfaController {
  constructor(
    private readonly mfa: MfaService,
    private readonly users: UsersService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Whether TOTP is on, and how many recovery codes are left' })
  @Authenticated({ scopes: [Scope.UsersRead] })
  @Returns(MfaStatusDto, 'MFA status fetched.')
  status(@CurrentPrincipal() principal: Principal): Promise<MfaStatusDto> {
    return this.mfa.status(signedInUserIdOf(principal));
  }

  @Post('totp')
  @ApiOperation({
    summary: 'Start TOTP enrolment: a new secret, its otpauth:// URI and QR code',
    description: 'The secret stays pending (replaced by a new call) until POST /me/mfa/totp/verify confirms it with a first code. 409 while TOTP is on. Needs an interactive sign-in (session cookie or login access token) bound to no workspace: a PAT, an API key, a login that named a workspace and an SSO sign-in get 403 on every write under /me/mfa.',
  })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Audited('mfa.totp.enrolment_started', 'user')
  @Returns(TotpEnrolmentDto, 'TOTP enrolment started.', { status: 201, errors: [409] })
  async enroll(@CurrentPrincipal() principal: Principal): Promise<TotpEnrolmentDto> {
    const userId = unboundSignedInUserIdOf(principal);
    const user = await this.users.findById(userId);
    return this.mfa.enroll(userId, user.email);
  }

  @Post('totp/verify')
  @ApiOperation({
    summary: 'Confirm TOTP with a first code: TOTP is on, and the ten recovery codes are in this answer only',
    description: 'From then on, sign-ins by password or magic link answer `{mfa_required: true, mfa_token}` and finish with POST /auth/mfa. Code checks are limited per account (10 per 15 minutes).',
  })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Audited('mfa.totp.enabled', 'user')
  @Returns(RecoveryCodesDto, 'TOTP is on.', { status: 200, errors: [409, 422, 429, 503] })
  async verify(@CurrentPrincipal() principal: Principal, @Body() body: TotpCodeDto): Promise<RecoveryCodesDto> {
    return { recovery_codes: await this.mfa.confirm(unboundSignedInUserIdOf(principal), body.code) };
  }

  @Delete('totp')
  @ApiOperation({ summary: 'Turn TOTP off (its recovery codes go too)', description: 'Needs a current `code` or a `recovery_code` in the body.' })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Audited('mfa.totp.disabled', 'user')
  @Returns(null, 'TOTP is off.', { status: 204, errors: [409, 422, 429, 503] })
  async disable(@CurrentPrincipal() principal: Principal, @Body() body: SecondFactorDto): Promise<void> {
    await this.mfa.disable(unboundSignedInUserIdOf(principal), body);
  }

  @Post('recovery-codes')
  @ApiOperation({ summary: 'Replace the recovery codes: ten new ones, in this answer only (the old ones stop working)', description: 'Needs a current TOTP code.' })
  @Authenticated({ scopes: [Scope.UsersWrite] })
  @Audited('mfa.recovery_codes.regenerated', 'user')
  @Returns(RecoveryCodesDto, 'Recovery codes replaced.', { status: 200, errors: [409, 422, 429, 503] })
  async regenerate(@CurrentPrincipal() principal: Principal, @Body() body: TotpCodeDto): Promise<RecoveryCodesDto> {
    return { recovery_codes: await this.mfa.regenerateRecoveryCodes(unboundSignedInUserIdOf(principal), body.code) };
  }
}
