// The requires-before fixtures (fixtures/rules/requires-before/): each invalid case reports exactly
// its .expected, each valid case nothing.
import { kindFixtureTests } from './fixture-cases.testlib';

kindFixtureTests('requires-before');
