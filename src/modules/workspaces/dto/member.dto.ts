import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEmail, IsNotEmpty, IsOptional, IsString, Length, MaxLength } from 'class-validator';

const ROLE_DOC = { description: 'A built-in role (owner, admin, member, viewer) or a custom role id (role_…).', example: 'member' };

export class AddMemberDto {
  @ApiProperty({ format: 'email', example: 'grace@example.com' })
  @IsEmail() @MaxLength(254)
  email: string;

  @ApiProperty(ROLE_DOC)
  @IsString() @IsNotEmpty() @MaxLength(40)
  role: string;
}

export class UpdateMemberDto {
  @ApiProperty(ROLE_DOC)
  @IsString() @IsNotEmpty() @MaxLength(40)
  role: string;
}

export class CreateWorkspaceUserDto {
  @ApiProperty({ maxLength: 255, example: 'Grace Hopper' })
  @IsString() @IsNotEmpty() @MaxLength(255)
  name: string;

  @ApiProperty({ format: 'email', example: 'grace@example.com' })
  @IsEmail() @MaxLength(254)
  email: string;

  @ApiProperty({ minLength: 8, maxLength: 128 })
  @IsString() @Length(8, 128)
  password: string;

  @ApiPropertyOptional({ ...ROLE_DOC, default: 'member' })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(40)
  role?: string;
}

export class ReplaceWorkspaceUserDto {
  @ApiProperty({ maxLength: 255 })
  @IsString() @IsNotEmpty() @MaxLength(255)
  name: string;

  @ApiProperty({ format: 'email' })
  @IsEmail() @MaxLength(254)
  email: string;

  @ApiPropertyOptional({ ...ROLE_DOC, description: `${ROLE_DOC.description} Omitted: the role stays.` })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(40)
  role?: string;
}

export class UpdateWorkspaceUserDto {
  @ApiPropertyOptional({ maxLength: 255 })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(255)
  name?: string;

  @ApiPropertyOptional({ format: 'email' })
  @IsOptional() @IsEmail() @MaxLength(254)
  email?: string;

  @ApiPropertyOptional(ROLE_DOC)
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(40)
  role?: string;
}
