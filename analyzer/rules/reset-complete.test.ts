// The reset-complete fixtures (fixtures/rules/reset-complete/): each invalid case reports exactly
// its .expected, each valid case nothing.
import { kindFixtureTests } from './fixture-cases.testlib';

kindFixtureTests('reset-complete');
