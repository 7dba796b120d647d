import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsNotEmpty, IsString, Matches, MaxLength, Validate, ValidateIf, ValidationArguments, ValidatorConstraint, ValidatorConstraintInterface } from 'class-validator';

const CODE = /^\d{6}$/;

export class TotpCodeDto {
  @ApiProperty({ example: '123456', description: 'The 6-digit code the authenticator app shows now.' })
  @IsString() @Matches(CODE, { message: 'code must be 6 digits' })
  code: string;
}

@ValidatorConstraint({ name: 'notWithCode' })
class NotWithCode implements ValidatorConstraintInterface {
  validate(_value: unknown, args: ValidationArguments): boolean {
    return (args.object as SecondFactorDto).code === undefined;
  }
  defaultMessage(): string {
    return 'send code or recovery_code, not both';
  }
}

/** A current TOTP code or one of the recovery codes: exactly one of them. */
export class SecondFactorDto {
  @ApiPropertyOptional({ example: '123456', description: 'The 6-digit code the authenticator app shows now. Required unless `recovery_code` is sent.' })
  @ValidateIf((o: SecondFactorDto) => o.recovery_code === undefined)
  @IsString() @Matches(CODE, { message: 'code must be 6 digits' })
  code?: string;

  @ApiPropertyOptional({ example: 'abcd-efgh-jkmn', description: 'One of the recovery codes (each works once), instead of `code`.' })
  @ValidateIf((o: SecondFactorDto) => o.code === undefined || o.recovery_code !== undefined)
  @IsString() @IsNotEmpty() @MaxLength(64) @Validate(NotWithCode)
  recovery_code?: string;
}

export class MfaLoginDto extends SecondFactorDto {
  @ApiProperty({ example: 'tsr_mfa_…', description: 'The `mfa_token` of the first step (login or magic link): 5 minutes, single use, 5 wrong codes at most.' })
  @IsString() @IsNotEmpty() @MaxLength(200)
  mfa_token: string;
}

export class MfaStatusDto {
  @ApiProperty() totp_enabled: boolean;
  @ApiProperty({ description: 'Unused recovery codes left.' }) recovery_codes_remaining: number;
}

export class TotpEnrolmentDto {
  @ApiProperty({ example: 'JBSWY3DPEHPK3PXP', description: 'The secret in base32, for typing into an authenticator app.' }) secret: string;
  @ApiProperty({ example: 'otpauth://totp/Tessera:ada%40example.com?secret=…&issuer=Tessera&algorithm=SHA1&digits=6&period=30' }) otpauth_uri: string;
  @ApiProperty({ description: 'The otpauth:// URI as a QR code, an SVG document.' }) qr_svg: string;
}

export class RecoveryCodesDto {
  @ApiProperty({ type: [String], example: ['abcd-efgh-jkmn'], description: 'Ten single-use codes, shown this once: each signs in instead of a TOTP code.' })
  recovery_codes: string[];
}

