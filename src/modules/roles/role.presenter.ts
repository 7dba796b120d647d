import { ApiProperty } from '@nestjs/swagger';
import { RoleView } from './roles.service';

export class RoleDto {
  @ApiProperty({ example: 'role_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8', description: 'A role_… id, or the name of a built-in role.' }) id: string;
  @ApiProperty({ example: 'Editor' }) name: string;
  @ApiProperty() description: string;
  @ApiProperty({ type: [String], example: ['posts:*', 'read'] }) scopes: string[];
  @ApiProperty() built_in: boolean;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) created_at: string | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true }) updated_at: string | null;
}

export function presentRole(r: RoleView): RoleDto {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    scopes: [...r.scopes],
    built_in: r.builtIn,
    created_at: r.createdAt?.toISOString() ?? null,
    updated_at: r.updatedAt?.toISOString() ?? null,
  };
}
