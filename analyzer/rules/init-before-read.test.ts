// The init-before-read fixtures (fixtures/rules/init-before-read/): each invalid case reports exactly
// its .expected, each valid case nothing.
import { kindFixtureTests } from './fixture-cases.testlib';

kindFixtureTests('init-before-read');
