import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { POST_STATUSES, PostEntity } from './post.entity';

export class PostAuthorDto {
  @ApiProperty() id: string;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'email' }) email: string;
}

export class PostDto {
  @ApiProperty({ example: 'pst_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty() title: string;
  @ApiProperty() body: string;
  @ApiProperty({ enum: POST_STATUSES }) status: string;
  @ApiProperty({ type: [String] }) tags: string[];
  @ApiProperty({ type: 'string', nullable: true, description: 'The user who wrote it (null when an API key did).' }) author_id: string | null;
  @ApiPropertyOptional({ type: PostAuthorDto, nullable: true, description: 'With include=author.' }) author?: PostAuthorDto | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export function presentPost(p: PostEntity): PostDto {
  return {
    id: p.id,
    title: p.title,
    body: p.body,
    status: p.status,
    tags: p.tags,
    author_id: p.authorId,
    ...(p.author !== undefined ? { author: p.author ? { id: p.author.id, name: p.author.name, email: p.author.email } : null } : {}),
    created_at: p.createdAt.toISOString(),
    updated_at: p.updatedAt.toISOString(),
  };
}
