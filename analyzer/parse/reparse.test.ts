// The edited function re-read alone (reparse.ts) must give exactly the facts a
// full parse of the edited file gives, or decline. Each case is an edit of
// fixtures/reparse/base.c; `quick` cases must take the shortcut and match a
// full parse byte for byte in the facts' text form (line numbers after the
// edit moved, anonymous structs renamed, table member lines moved, items
// under an #ifdef kept where a full parse lists them); `whole` cases must
// decline, because the edit can reach past what is re-read or there is no
// telling where its facts go.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseText, DEFAULT_LIMITS } from './parse-file';
import { reparseEdit } from './reparse';
import { factsToText } from './facts-text';
import { makeNormalizer } from './normalize';
import { loadPack, defaultPackPath } from '../pack/load';

const FIXTURE = path.resolve(__dirname, '..', '..', '..', 'fixtures', 'reparse', 'base.c');
const base = fs.readFileSync(FIXTURE, 'latin1');
const normalize = makeNormalizer(loadPack(defaultPackPath()).frontend);

function facts(text: string) {
  const r = parseText(text, 'widget.c', normalize, DEFAULT_LIMITS);
  assert.ok(r.ok);
  return r.facts;
}

const cases: { name: string; from: string; to: string; expect: 'quick' | 'whole' }[] = [
  { name: 'a statement added', from: '\tvcpu->arch.widget = 1;\n', to: '\tvcpu->arch.widget = 1;\n\twidget_note(vcpu);\n', expect: 'quick' },
  { name: 'a block added', from: '\tint r;\n\n', to: '\tint r;\n\n\tif (!vcpu) {\n\t\twidget_warn();\n\t\treturn -EINVAL;\n\t}\n', expect: 'quick' },
  { name: 'a line removed', from: '\tif (r)\n\t\treturn r;\n', to: '', expect: 'quick' },
  { name: 'a line changed in place', from: 'vcpu->arch.widget = 1;', to: 'vcpu->arch.widget = 2;', expect: 'quick' },
  { name: 'an edit inside an #ifdef function', from: '\twidget_flush(vcpu);\n', to: '\twidget_flush(vcpu);\n\twidget_flush(vcpu);\n', expect: 'quick' },
  { name: 'a string with a brace in it', from: '\tvcpu->arch.widget = 1;\n', to: '\tvcpu->arch.widget = 1;\n\tpr_info("{ %d (", r);\n', expect: 'quick' },
  { name: 'a directive added', from: '\tvcpu->arch.widget = 1;\n', to: '#ifdef CONFIG_X\n\tvcpu->arch.widget = 1;\n#endif\n', expect: 'whole' },
  { name: 'a comment opened', from: '\tvcpu->arch.widget = 1;\n', to: '\tvcpu->arch.widget = 1; /* set\n', expect: 'whole' },
  { name: 'an unbalanced brace', from: '\tif (r)\n\t\treturn r;\n', to: '\tif (r) {\n\t\treturn r;\n', expect: 'whole' },
  { name: 'the signature changed', from: 'void widget_tail(void)', to: 'void widget_tail(int x)', expect: 'quick' },
  { name: 'the signature changed, no function before it', from: 'static int widget_start(struct kvm_vcpu *vcpu)', to: 'static int widget_start(struct kvm_vcpu *v)', expect: 'whole' },
  {
    name: 'the last function replaced by another',
    from: 'void widget_tail(void)\n{\n\twidget_last.pcid = 0;\n}\n',
    to: 'void widget_tail2(void)\n{\n\twidget_last.gla = 0;\n}\n',
    expect: 'quick',
  },
  { name: 'outside any function', from: '\tu64 gla;\n', to: '\tu64 gla;\n\tu64 gpa;\n', expect: 'whole' },
  { name: 'a line continuation', from: '\tvcpu->arch.widget = 1;\n', to: '\tvcpu->arch.widget = \\\n1;\n', expect: 'whole' },
  {
    name: 'two functions at once',
    from: 'widget = 1;\n\treturn 0;\n}\n\n#ifdef CONFIG_WIDGET_STOP\nstatic void widget_stop(struct kvm_vcpu *vcpu)\n{\n\tvcpu->arch.widget = 0;',
    to: 'widget = 2;\n\treturn 0;\n}\n\n#ifdef CONFIG_WIDGET_STOP\nstatic void widget_stop(struct kvm_vcpu *vcpu)\n{\n\tvcpu->arch.widget = 3;',
    expect: 'whole',
  },
  { name: 'a function with a struct of its own', from: '+ local.a;', to: '+ local.a + 1;', expect: 'quick' },
  {
    name: 'a function added between two',
    from: '\treturn 0;\n}\n\n#ifdef CONFIG_WIDGET_STOP\n',
    to: '\treturn 0;\n}\n\nstatic void widget_pause(struct kvm_vcpu *vcpu)\n{\n\twidget_stop(vcpu);\n}\n\n#ifdef CONFIG_WIDGET_STOP\n',
    expect: 'quick',
  },
  {
    name: 'a function appended',
    from: '\treturn widget_ops.start(vcpu) + local.a;\n}\n',
    to: '\treturn widget_ops.start(vcpu) + local.a;\n}\n\nvoid widget_last_fn(void)\n{\n\twidget_last.gla = 0;\n}\n',
    expect: 'quick',
  },
  {
    name: 'a global added after the last function (where it goes among the file\'s globals is not known)',
    from: '\treturn widget_ops.start(vcpu) + local.a;\n}\n',
    to: '\treturn widget_ops.start(vcpu) + local.a;\n}\n\nstatic int widget_level;\n',
    expect: 'whole',
  },
  {
    name: 'a typedef added (no line to place it by)',
    from: '\treturn widget_ops.start(vcpu) + local.a;\n}\n',
    to: '\treturn widget_ops.start(vcpu) + local.a;\n}\n\ntypedef int widget_id_t;\n',
    expect: 'whole',
  },
  {
    name: 'a function added next to a directive',
    from: '#endif\n\nstatic struct {',
    to: '#endif\n\nstatic void widget_nop(void)\n{\n}\n\nstatic struct {',
    expect: 'whole',
  },
  {
    name: 'a parenthesis left open between functions (a MISSING token the facts do not show)',
    from: '\nvoid widget_tail(void)',
    to: '\nbool widget_proto(int a,\n\nvoid widget_tail(void)',
    expect: 'whole',
  },
  {
    name: 'a prototype\'s first line doubled (the tree has a MISSING `)`, the facts no error)',
    from: 'bool widget_probe(struct kvm_vcpu *vcpu,\n',
    to: 'bool widget_probe(struct kvm_vcpu *vcpu,\nbool widget_probe(struct kvm_vcpu *vcpu,\n',
    expect: 'whole',
  },
  { name: 'a function added before every function', from: '#include <linux/kvm_host.h>\n', to: '#include <linux/kvm_host.h>\n\nstatic void widget_first(void)\n{\n}\n', expect: 'whole' },
];

for (const c of cases) {
  test(`reparse: ${c.name} → ${c.expect === 'quick' ? 'the function alone, as a full parse' : 'declined'}`, () => {
    assert.equal(base.split(c.from).length, 2, `the fixture has ${JSON.stringify(c.from)} once`);
    const after = base.replace(c.from, c.to);
    const got = reparseEdit({ before: base, facts: facts(base), after }, 'widget.c', normalize, DEFAULT_LIMITS);
    if (c.expect === 'whole') {
      assert.equal(got, null);
      return;
    }
    assert.ok(got, 'took the shortcut');
    assert.equal(factsToText(got), factsToText(facts(after)));
  });
}

test('reparse: what moves after the edit (lines, an anonymous struct, a table member line) is what a full parse says', () => {
  const after = base.replace('\tvcpu->arch.widget = 1;\n', '\tvcpu->arch.widget = 1;\n\ta();\n\tb();\n');
  const got = reparseEdit({ before: base, facts: facts(base), after }, 'widget.c', normalize, DEFAULT_LIMITS);
  assert.ok(got);
  const old = facts(base);
  const anon = (f: typeof old) => f.structs.map((s) => s.name).filter((n) => n.startsWith('<anon@'));
  assert.deepEqual(anon(got), anon(old).map((n) => n.replace(/\d+/, (d) => String(Number(d) + 2))));
  assert.equal(got.tables[0].memberLines.start, old.tables[0].memberLines.start + 2);
  assert.equal(got.functions.find((f) => f.name === 'widget_run')!.line, old.functions.find((f) => f.name === 'widget_run')!.line + 2);
  assert.equal(factsToText(got), factsToText(facts(after)));
});
