import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayNotEmpty, IsArray, IsNotEmpty, IsOptional, IsString, Matches, MaxLength, Validate } from 'class-validator';
import { ScopePatternConstraint } from '../../auth/scope-pattern.validator';

export class CreateRoleDto {
  @ApiProperty({ maxLength: 60, example: 'Editor' })
  @IsString() @IsNotEmpty() @MaxLength(60)
  @Matches(/^(?!(owner|admin|member|viewer)$)/i, { message: 'name must not be a built-in role name' })
  name: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional() @IsString() @MaxLength(500)
  description?: string;

  @ApiProperty({ type: [String], example: ['posts:*', 'read'], description: 'Scopes or wildcards from GET /api/v1/scopes.' })
  @IsArray() @ArrayNotEmpty() @ArrayMaxSize(64) @IsString({ each: true }) @Validate(ScopePatternConstraint, { each: true })
  scopes: string[];
}

export class UpdateRoleDto {
  @ApiPropertyOptional({ maxLength: 60 })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(60)
  @Matches(/^(?!(owner|admin|member|viewer)$)/i, { message: 'name must not be a built-in role name' })
  name?: string;

  @ApiPropertyOptional({ maxLength: 500 })
  @IsOptional() @IsString() @MaxLength(500)
  description?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional() @IsArray() @ArrayNotEmpty() @ArrayMaxSize(64) @IsString({ each: true }) @Validate(ScopePatternConstraint, { each: true })
  scopes?: string[];
}
