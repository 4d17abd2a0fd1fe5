// What the built-in fault kinds share: the type of a built-in's module, and small arbitraries.
import fc from 'fast-check';
import type { FaultKindModule } from '../kind.ts';
import type { Rejoin } from '../types.ts';

/** A built-in kind's module: the config's interface, with its family, its arbitrary and its colour always given. */
export type BuiltinKindModule<F extends { kind: string }> = FaultKindModule<F> & Required<Pick<FaultKindModule<F>, 'family' | 'arbitrary' | 'colour'>>;

/** how a killed role comes back: shrinks to its own name */
export const rejoin: fc.Arbitrary<Rejoin> = fc.constantFrom('same', 'new');

/** the report's colours, one per family of fault (charts.ts) */
export const COLOURS = {
  toxic: '#ff7f0e',
  down: '#d62728',
  death: '#9467bd',
  pause: '#17becf',
  redis: '#7f7f7f',
} as const;
