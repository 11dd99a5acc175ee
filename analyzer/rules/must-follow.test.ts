// The must-follow fixtures (fixtures/rules/must-follow/): each invalid case reports exactly
// its .expected, each valid case nothing.
import { kindFixtureTests } from './fixture-cases';

kindFixtureTests('must-follow');
