import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsIn, IsNotEmpty, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { POST_STATUSES, PostStatus } from '../post.entity';

const TAG = /^[\p{L}\p{N}][\p{L}\p{N} _-]{0,39}$/u;
const TAG_MESSAGE = 'each tag must be 1-40 letters, digits, spaces, dashes or underscores';

export class CreatePostDto {
  @ApiProperty({ maxLength: 200, example: 'Hello, world' })
  @IsString() @IsNotEmpty() @MaxLength(200)
  title: string;

  @ApiPropertyOptional({ maxLength: 100_000, default: '' })
  @IsOptional() @IsString() @MaxLength(100_000)
  body?: string;

  @ApiPropertyOptional({ enum: POST_STATUSES, default: 'draft' })
  @IsOptional() @IsIn(POST_STATUSES)
  status?: PostStatus;

  @ApiPropertyOptional({ type: [String], maxItems: 20, example: ['news'] })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsString({ each: true }) @Matches(TAG, { each: true, message: TAG_MESSAGE })
  tags?: string[];
}

export class ReplacePostDto {
  @ApiProperty({ maxLength: 200 })
  @IsString() @IsNotEmpty() @MaxLength(200)
  title: string;

  @ApiProperty({ maxLength: 100_000 })
  @IsString() @MaxLength(100_000)
  body: string;

  @ApiProperty({ enum: POST_STATUSES })
  @IsIn(POST_STATUSES)
  status: PostStatus;

  @ApiProperty({ type: [String], maxItems: 20 })
  @IsArray() @ArrayMaxSize(20) @IsString({ each: true }) @Matches(TAG, { each: true, message: TAG_MESSAGE })
  tags: string[];
}

export class UpdatePostDto {
  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @IsString() @IsNotEmpty() @MaxLength(200)
  title?: string;

  @ApiPropertyOptional({ maxLength: 100_000 })
  @IsOptional() @IsString() @MaxLength(100_000)
  body?: string;

  @ApiPropertyOptional({ enum: POST_STATUSES })
  @IsOptional() @IsIn(POST_STATUSES)
  status?: PostStatus;

  @ApiPropertyOptional({ type: [String], maxItems: 20 })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @IsString({ each: true }) @Matches(TAG, { each: true, message: TAG_MESSAGE })
  tags?: string[];
}
