// The Go text/template subset behind `--format`: each construct, each
// function, the value printer (Go's %v), and errors in Go's words. Expected
// texts are what Go 1.2x's text/template and docker/cli's functions print.
import test from 'ava';
import { GoStruct, GoTemplateError, HEADER_FUNCTIONS, goNilSlice, parseGoTemplate } from '../../cli/format/go-template.js';
import { goSprintf } from '../../cli/format/go-printf.js';
import { goNilMap } from '../../cli/format/go-value.js';

const DATA = {
  Config: { Cmd: ['/bin/sh', '-c'], Labels: { b: '2', a: '1' }, Env: null, Empty: [] },
  Size: 1982437,
  Id: 'sha256:abc',
  Half: 1.5,
  Big: 1e21,
  Yes: true,
  Name: 'Hello World',
};

const run = (text: string, data: unknown = DATA, options = {}) => parseGoTemplate(text).execute(data, options);

function fails(t: import('ava').ExecutionContext, text: string, message: string, data: unknown = DATA, options = {}): void {
  const err = t.throws(() => run(text, data, options), { instanceOf: GoTemplateError });
  t.is(err?.message, message, text);
}

test('fields and chains; a missing map key is <no value>, a JSON null too', (t) => {
  t.is(run('{{.Id}} {{.Config.Cmd}} {{.Config.Labels.a}}'), 'sha256:abc [/bin/sh -c] 1');
  t.is(run('{{.Nope}}|{{.Config.Labels.zz}}|{{.Config.Env}}|{{.Nope.Deeper}}'), '<no value>|<no value>|<no value>|<no value>');
  t.is(run('{{.}}', 'plain'), 'plain');
  t.is(run('x{{/* a comment */}}y'), 'xy');
});

test('missingkey=error: a missing key of a JSON object is an error naming it', (t) => {
  fails(t, '{{.Nope}}', 'template: :1:2: executing "" at <.Nope>: map has no entry for key "Nope"', DATA, { missingKey: 'error' });
  fails(t, '{{.Config.Nope}}', 'template: :1:9: executing "" at <.Config.Nope>: map has no entry for key "Nope"', DATA, { missingKey: 'error' });
  t.is(run('{{.Labels.zz}}', { Labels: new Map([['a', '1']]) }, { missingKey: 'error' }), '<no value>', 'a typed map (Map) never fails');
});

test('structs: fields, methods with arguments, and the error for a field they lack', (t) => {
  const row = new GoStruct('*formatter.imageContext', { ID: () => 'abc', Tag: 'latest', Label: (name: unknown) => `label ${String(name)}` });
  t.is(run('{{.ID}}:{{.Tag}} {{.Label "x"}}', row), 'abc:latest label x');
  fails(t, '{{.Nope}}', 'template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext', row);
  fails(t, 'line one\n  {{.ID}} {{.Nope}}', 'template: :2:12: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext', row);
  t.is(run('{{json .}}', row), '{"ID":"abc","Tag":"latest"}', 'json marshals every field without arguments, keys sorted');
});

test('%v printing: slices, maps with sorted keys, nil, nil slices and maps, numbers, booleans', (t) => {
  t.is(run('{{.Config.Labels}} {{.Config.Empty}} {{.Half}} {{.Big}} {{.Yes}} {{print nil}} {{.Size}}'), 'map[a:1 b:2] [] 1.5 1e+21 true <nil> 1982437');
  fails(t, '{{nil}}', 'template: :1:2: executing "" at <nil>: nil is not a command');
  t.is(run('{{.A}} {{json .A}} {{.M}} {{json .M}} {{len .A}}', { A: goNilSlice(), M: goNilMap() }), '[] null map[] null 0');
  t.is(run('{{.}}', [['a', null], { k: [1, 2] }]), '[[a <nil>] map[k:[1 2]]]');
});

test('pipelines, parentheses, literals and variables', (t) => {
  t.is(run('{{.Name | lower | printf "%s!"}}'), 'hello world!');
  t.is(run('{{(index .Config.Cmd 0) | printf "%s?"}}'), '/bin/sh?');
  t.is(run('{{"a\\tb"}} {{`raw\\n`}} {{42}} {{-3}} {{1.5}} {{0x1F}} {{true}} {{false}} {{\'a\'}}'), 'a\tb raw\\n 42 -3 1.5 31 true false 97');
  t.is(run('{{$x := "hi"}}{{$x | upper}} {{$x = "lo"}}{{$x}} {{$.Id}}'), 'HI lo sha256:abc');
  t.is(run('{{with $c := .Config}}{{$c.Cmd}}{{end}}'), '[/bin/sh -c]');
});

test('range: slices, maps in key order, integers, else, break and continue, $i and $e', (t) => {
  t.is(run('{{range .Config.Cmd}}<{{.}}>{{end}}'), '</bin/sh><-c>');
  t.is(run('{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}'), 'a=1;b=2;');
  t.is(run('{{range $i, $e := .Config.Cmd}}{{$i}}:{{$e}} {{end}}'), '0:/bin/sh 1:-c ');
  t.is(run('{{range 3}}{{.}}{{end}}'), '012');
  t.is(run('{{range .Config.Empty}}x{{else}}empty{{end}} {{range .Nope}}x{{else}}none{{end}}'), 'empty none');
  t.is(run('{{range .}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}', [1, 2, 3, 4, 5]), '13');
  fails(t, '{{range .Id}}x{{end}}', 'template: :1:8: executing "" at <.Id>: range can\'t iterate over sha256:abc');
});

test('if / else if / else, with / else, and Go truth', (t) => {
  const pick = '{{if eq .N 1}}one{{else if gt .N 5}}big{{else}}other{{end}}';
  t.is(run(pick, { N: 1 }), 'one');
  t.is(run(pick, { N: 9 }), 'big');
  t.is(run(pick, { N: 3 }), 'other');
  t.is(run('{{if .Config.Empty}}y{{else}}n{{end}}{{if ""}}y{{else}}n{{end}}{{if 0}}y{{else}}n{{end}}{{if .Config.Labels}}y{{end}}'), 'nnny');
  t.is(run('{{with .Config.Labels}}{{.a}}{{else}}none{{end}} {{with .Nope}}x{{else}}none{{end}}'), '1 none');
});

test('trim markers remove the white space beside them', (t) => {
  t.is(run('a  {{- "b" -}}  c'), 'abc');
  t.is(run('{{range .Config.Cmd -}}\n  {{.}}\n{{- end}}'), '/bin/sh-c');
  t.is(run('{{3 -}} x'), '3x');
});

test("Docker's functions: json join split lower upper title pad truncate", (t) => {
  t.is(run('{{json .Config}}'), '{"Cmd":["/bin/sh","-c"],"Labels":{"b":"2","a":"1"},"Env":null,"Empty":[]}');
  t.is(run('{{json "<a&b>"}}'), '"<a&b>"', 'no HTML escaping, as SetEscapeHTML(false)');
  t.is(run('{{join .Config.Cmd ","}}|{{join .Config.Env ","}}'), '/bin/sh,-c|');
  t.is(run('{{split "a,b,c" ","}} {{len (split "a,b" ",")}}'), '[a b c] 2');
  t.is(run('{{lower .Name}} {{upper .Name}} {{title "hello wide-world"}}'), 'hello world HELLO WORLD Hello Wide-World');
  t.is(run('[{{pad "x" 2 1}}][{{pad "" 2 1}}]'), '[  x ][]');
  t.is(run('{{truncate "abcdef" 3}} {{truncate "ab" 3}}'), 'abc ab');
  fails(t, '{{join .Id ","}}', 'template: :1:7: executing "" at <.Id>: wrong type for value; expected []string; got string');
  fails(t, '{{join .Config.Labels ","}}', 'template: :1:14: executing "" at <.Config.Labels>: wrong type for value; expected []string; got map[string]interface {}');
});

test("Go's functions: printf println print index len and or not, comparisons", (t) => {
  t.is(run('{{printf "%q %v %d %s %5d|%-4s|%05.1f %x %t %%" .Id .Config.Cmd .Size .Id 42 "ab" 3.14159 255 true}}'), '"sha256:abc" [/bin/sh -c] 1982437 sha256:abc    42|ab  |003.1 ff true %');
  t.is(run('{{printf "%d" "x"}} {{printf "%s"}} {{printf "a" 1}}'), '%!d(string=x) %!s(MISSING) a%!(EXTRA int=1)');
  t.is(run('{{println "a" 1}}'), 'a 1\n');
  t.is(run('{{print "a" 1 2 "b"}}'), 'a1 2b');
  t.is(run('{{index . 0 1}}', [['x', 'y']]), 'y');
  t.is(run('{{index .Config.Labels "a"}} {{index .Config.Cmd 1}}'), '1 -c');
  t.is(run('{{len .Config.Cmd}} {{len .Config.Labels}} {{len .Id}}'), '2 2 10');
  t.is(run('{{and 1 0}} {{and 1 2}} {{or 0 ""}} {{or 0 "x"}} {{not .Yes}}'), '0 2  x false');
  t.is(run('{{eq 1 1}} {{eq "a" "b" "a"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}'), 'true true true true true true false');
  fails(t, '{{eq "a" 1}}', 'template: :1:2: executing "" at <eq "a" 1>: error calling eq: incompatible types for comparison');
  fails(t, '{{index .Config.Cmd 5}}', 'template: :1:2: executing "" at <index .Config.Cmd 5>: error calling index: index out of range: 5');
  fails(t, '{{upper 3}}', 'template: :1:8: executing "" at <3>: expected string; found 3');
  fails(t, '{{upper .Size}}', 'template: :1:8: executing "" at <.Size>: wrong type for value; expected string; got int');
  fails(t, '{{truncate "ab" "x"}}', 'template: :1:16: executing "" at <"x">: expected integer; found "x"');
  fails(t, '{{.Size | upper}}', 'template: :1:10: executing "" at <upper>: wrong type for value; expected string; got int');
  fails(t, '{{len 3}}', 'template: :1:2: executing "" at <len 3>: error calling len: len of type int');
});

test('printf verbs on their own (goSprintf)', (t) => {
  t.is(goSprintf('%v|%6.2f|%e|%g|%X|%q', [null, 2.5, 1234.5, 0.000012, 'hi', ['a', 'b']]), '<nil>|  2.50|1.234500e+03|1.2e-05|6869|["a" "b"]');
});

test('parse errors are one line in Go words', (t) => {
  const parseFails = (text: string, message: string) => {
    const err = t.throws(() => parseGoTemplate(text), { instanceOf: GoTemplateError });
    t.is(err?.message, message, text);
    t.is(err?.kind, 'parse');
  };
  parseFails('{{.Id', 'template: :1: unclosed action');
  parseFails('{{foo .}}', 'template: :1: function "foo" not defined');
  parseFails('{{end}}', 'template: :1: unexpected {{end}}');
  parseFails('{{if 1}}x', 'template: :1: unexpected EOF');
  parseFails('{{$y}}', 'template: :1: undefined variable "$y"');
  parseFails('a\n{{"unterminated}}', 'template: :2: unterminated quoted string');
  parseFails('{{break}}', 'template: :1: {{break}} outside {{range}}');
  parseFails('{{define "x"}}{{end}}', 'template: :1: {{define}} is not supported by strata\'s templates');
});

test("header functions return the column title (Docker's table headers)", (t) => {
  const headers = { ID: 'IMAGE ID', Repository: 'REPOSITORY' };
  t.is(run('{{.ID}}\t{{lower .Repository}}\t{{truncate .ID 3}}\t{{json .ID}}', headers, { functions: HEADER_FUNCTIONS }), 'IMAGE ID\tREPOSITORY\tIMAGE ID\tIMAGE ID');
});
