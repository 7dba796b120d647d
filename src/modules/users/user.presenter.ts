import { ApiProperty } from '@nestjs/swagger';
import { UserEntity } from './user.entity';

export class UserDto {
  @ApiProperty({ example: 'usr_01JD2V6ZQ8W3M9Q7R4T5Y6U7V8' }) id: string;
  @ApiProperty({ example: 'Ada Lovelace' }) name: string;
  @ApiProperty({ example: 'ada@example.com', format: 'email' }) email: string;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
}

export function presentUser(u: UserEntity): UserDto {
  return { id: u.id, name: u.name, email: u.email, created_at: u.createdAt.toISOString(), updated_at: u.updatedAt.toISOString() };
}
