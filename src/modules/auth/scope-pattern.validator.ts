import { ValidatorConstraint, ValidatorConstraintInterface, ValidationArguments } from 'class-validator';
import { isScopePattern } from './scopes';

@ValidatorConstraint({ name: 'scopePattern' })
export class ScopePatternConstraint implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'string' && isScopePattern(value);
  }
  defaultMessage(args: ValidationArguments): string {
    return `"${String(args.value)}" is not a scope; see GET /api/v1/scopes`;
  }
}
