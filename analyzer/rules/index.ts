import type { RuleKind } from './context';
import initBeforeRead from './init-before-read';
import requiresBefore from './requires-before';
import guarded from './guarded';
import resetComplete from './reset-complete';
import mustFollow from './must-follow';
import markWithoutWrite from './mark-without-write';

/** Every rule kind: a new kind is one line here (its module, its .md and its fixtures aside). */
export const KINDS = [initBeforeRead, requiresBefore, guarded, resetComplete, mustFollow, markWithoutWrite] as const;

export const RULE_KINDS: Record<string, RuleKind<never>> = Object.fromEntries(KINDS.map((k) => [k.kind, k as RuleKind<never>]));
