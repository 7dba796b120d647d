import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { POST_STATUSES, PostStatus } from '../post.entity';

/** The limits of a post's fields, shared by these DTOs and the MCP tool create_post. */
export const POST_LIMITS = { title: 200, body: 100_000, tags: 20 } as const;
export const TAG = /^[\p{L}\p{N}][\p{L}\p{N} _-]{0,39}$/u;
export const TAG_MESSAGE = 'each tag must be 1-40 letters, digits, spaces, dashes or underscores';

export class CreatePostDto {
  @ApiProperty({ maxLength: POST_LIMITS.title, example: 'Hello, world' })
  @IsString() @IsNotEmpty() @MaxLength(POST_LIMITS.title)
  title: string;

  @ApiPropertyOptional({ maxLength: POST_LIMITS.body, default: '' })
  @IsOptional() @IsString() @MaxLength(POST_LIMITS.body)
  body?: string;

  @ApiPropertyOptional({ enum: POST_STATUSES, default: 'draft' })
  @IsOptional() @IsIn(POST_STATUSES)
  status?: PostStatus;

  @ApiPropertyOptional({ type: [String], maxItems: POST_LIMITS.tags, example: ['news'] })
  @IsOptional() @IsArray() @ArrayMaxSize(POST_LIMITS.tags) @IsString({ each: true }) @Matches(TAG, { each: true, message: TAG_MESSAGE })
  tags?: string[];
}

export class ReplacePostDto {
  @ApiProperty({ maxLength: POST_LIMITS.title })
  @IsString() @IsNotEmpty() @MaxLength(POST_LIMITS.title)
  title: string;

  @ApiProperty({ maxLength: POST_LIMITS.body })
  @IsString() @MaxLength(POST_LIMITS.body)
  body: string;

  @ApiProperty({ enum: POST_STATUSES })
  @IsIn(POST_STATUSES)
  status: PostStatus;

  @ApiProperty({ type: [String], maxItems: POST_LIMITS.tags })
  @IsArray() @ArrayMaxSize(POST_LIMITS.tags) @IsString({ each: true }) @Matches(TAG, { each: true, message: TAG_MESSAGE })
  tags: string[];
}

export class UpdatePostDto {
  @ApiPropertyOptional({ maxLength: POST_LIMITS.title })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(POST_LIMITS.title)
  title?: string;

  @ApiPropertyOptional({ maxLength: POST_LIMITS.body })
  @IsOptional() @IsString() @MaxLength(POST_LIMITS.body)
  body?: string;

  @ApiPropertyOptional({ enum: POST_STATUSES })
  @IsOptional() @IsIn(POST_STATUSES)
  status?: PostStatus;

  @ApiPropertyOptional({ type: [String], maxItems: POST_LIMITS.tags })
  @IsOptional() @IsArray() @ArrayMaxSize(POST_LIMITS.tags) @IsString({ each: true }) @Matches(TAG, { each: true, message: TAG_MESSAGE })
  tags?: string[];
}
