import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A custom role: a named set of scopes in one workspace. */
@Entity('roles')
export class RoleEntity {
  @PrimaryColumn('text') id: string;
  @Column('text', { name: 'workspace_id' }) workspaceId: string;
  @Column('text') name: string;
  @Column('text') description: string;
  @Column('text', { array: true }) scopes: string[];
  @Column('timestamptz', { name: 'created_at' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at' }) updatedAt: Date;
}
