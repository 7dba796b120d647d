import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { UserDto } from '../users/user.presenter';
import { WorkspaceDto } from '../workspaces/workspace.presenter';

export class TokenPairDto {
  @ApiProperty({ description: 'JWT for `Authorization: Bearer`.' }) access_token: string;
  @ApiProperty({ description: 'Opaque; send it to POST /auth/refresh. Shown once.' }) refresh_token: string;
  @ApiProperty({ example: 'Bearer' }) token_type: string;
  @ApiProperty({ example: 900, description: 'Seconds until the access token expires.' }) expires_in: number;
  @ApiProperty({ type: UserDto }) user: UserDto;
}

export class RegistrationDto extends TokenPairDto {
  @ApiPropertyOptional({ type: WorkspaceDto, description: 'The first workspace, owned by the new user.' }) workspace: WorkspaceDto;
}

export class ExchangedTokenDto {
  @ApiProperty({ description: 'A JWT with the same scopes and workspace as the credential presented.' }) access_token: string;
  @ApiProperty({ example: 'Bearer' }) token_type: string;
  @ApiProperty({ example: 900 }) expires_in: number;
}
