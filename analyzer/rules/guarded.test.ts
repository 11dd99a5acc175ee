// The guarded fixtures (fixtures/rules/guarded/): each invalid case reports exactly
// its .expected, each valid case nothing.
import { kindFixtureTests } from './fixture-cases.testlib';

kindFixtureTests('guarded');
