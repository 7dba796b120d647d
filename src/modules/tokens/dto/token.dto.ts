import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsDateString, IsNotEmpty, IsOptional, IsString, MaxLength, Validate } from 'class-validator';
import { ScopePatternConstraint } from '../../auth/scope-pattern.validator';

export class CreateTokenDto {
  @ApiProperty({ maxLength: 255, example: 'CI deploy script' })
  @IsString() @IsNotEmpty() @MaxLength(255)
  name: string;

  @ApiProperty({ type: [String], example: ['posts:read'], description: "What the token may do, always within its user's role." })
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(64) @IsString({ each: true }) @Validate(ScopePatternConstraint, { each: true })
  scopes: string[];

  @ApiPropertyOptional({ description: 'Pin the token to one workspace (id or slug); it is then refused elsewhere.' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(64)
  workspace_id?: string;

  @ApiPropertyOptional({ format: 'date-time' })
  @IsOptional() @IsDateString({ strict: true })
  expires_at?: string;
}
