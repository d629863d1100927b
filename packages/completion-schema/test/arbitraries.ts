// Shared by the schema's property tests.
import fc from 'fast-check';

class Point {
  x = 1;
}

/** Values of every kind zod may see from a TypeScript caller or from JSON.parse. */
export const anyValue = fc.oneof(
  fc.string(),
  fc.constant(''),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -0),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.jsonValue(),
  fc.array(fc.jsonValue(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.jsonValue(), { maxKeys: 4 }),
  fc.dictionary(fc.string(), fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.double()), { maxKeys: 3 }),
  fc.constant({ nested: { deeper: [1, { bad: Number.NaN }] } }),
  fc.constant({ when: new Date(0) }),
  fc.constant({ point: new Point() }),
  fc.constant(Object.create(null) as object),
  fc.constant(() => 1),
  fc.constant(10n),
  fc.constant(new Date(0)),
  fc.constantFrom('1', '1.4', '2', 1, 2, 0, '1.x', '2026-11-27T10:00:00Z', 'yesterday'),
  fc.constantFrom(
    '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
  ),
);
