// The mark-without-write fixtures (fixtures/rules/mark-without-write/): each invalid case reports exactly
// its .expected, each valid case nothing.
import { kindFixtureTests } from './fixture-cases.testlib';

kindFixtureTests('mark-without-write');
