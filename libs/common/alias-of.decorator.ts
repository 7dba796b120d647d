import { registerDecorator, ValidationArguments } from 'class-validator';

/**
 * Marks a body field as another seed reference's name for the contract's `canonical` field (e.g.
 * Intuka's `tenantSlug` for `workspace`). The contract's name stays the documented one; giving both
 * with different values is a 422 naming the alias, since either answer would be a guess.
 */
export function AliasOf(canonical: string): PropertyDecorator {
  return (target, propertyName) => {
    registerDecorator({
      name: 'aliasOf',
      target: target.constructor,
      propertyName: String(propertyName),
      constraints: [canonical],
      validator: {
        validate(value: unknown, args: ValidationArguments): boolean {
          const other = (args.object as Record<string, unknown>)[canonical];
          return value === undefined || other === undefined || other === value;
        },
        defaultMessage(args: ValidationArguments): string {
          return `${args.property} is an alias of ${canonical}; send one of them, or the same value in both`;
        },
      },
    });
  };
}
