// Docker's --format layer over rows (cli/format/docker-format.ts): the template
// text rules, table headers with the header functions, json, and Go's
// tabwriter column blocks. Expected texts were printed by docker 28.2 (client).
import test from 'ava';
import { renderFormat, tabAlign, templateText, type FormatSource } from '../../cli/format/docker-format.js';
import { GoStruct } from '../../cli/format/go-template.js';
import { StrataError } from '../../core/errors.js';

const SOURCE: FormatSource = {
  rows: [
    new GoStruct('*formatter.imageContext', { Repository: () => 'nocmd', Tag: () => 'latest', ID: () => '5e4613ba9121', Digest: () => '<none>' }),
    new GoStruct('*formatter.imageContext', { Repository: () => 'bb', Tag: () => 'latest', ID: () => '255487a41c62', Digest: () => '<none>' }),
  ],
  headers: { Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', Digest: 'DIGEST' },
  defaultTable: 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}',
};

test('template text: `table` prefix dropped, spaces trimmed, \\t and \\n escapes; json is {{json .}}', (t) => {
  t.is(templateText('table {{.ID}}\\t{{.Tag}}'), '{{.ID}}\t{{.Tag}}');
  t.is(templateText('  {{.ID}}\\n{{.Tag}}  '), '{{.ID}}\n{{.Tag}}');
  t.is(templateText('json'), '{{json .}}');
});

test('rows: one template result per row; json escapes <> as Docker marshals contexts', (t) => {
  t.is(renderFormat('{{.Repository}}:{{.Tag}}', SOURCE), 'nocmd:latest\nbb:latest\n');
  t.is(renderFormat('json', SOURCE).split('\n')[0], '{"Digest":"\\u003cnone\\u003e","ID":"5e4613ba9121","Repository":"nocmd","Tag":"latest"}');
  t.is(renderFormat('table', SOURCE), 'REPOSITORY   TAG       IMAGE ID\nnocmd        latest    5e4613ba9121\nbb           latest    255487a41c62\n');
});

test('table headers: header functions keep the title; a header that fails keeps what it printed', (t) => {
  t.is(renderFormat('table {{lower .Repository}}\\t{{truncate .ID 4}}', SOURCE), 'REPOSITORY   IMAGE ID\nnocmd        5e46\nbb           2554\n');
  t.is(renderFormat('table {{.Repository}}\\t{{json .}}', SOURCE).split('\n')[0], 'REPOSITORY   ');
});

test('tabwriter column blocks: a line with fewer cells ends the block (docker images output)', (t) => {
  t.is(renderFormat('table {{.Repository}}\\t{{.Tag}}\\n{{.ID}}', SOURCE), 'REPOSITORY   TAG\nIMAGE ID\nnocmd     latest\n5e4613ba9121\nbb        latest\n255487a41c62\n');
  t.is(tabAlign('a\tb\tc\nlonger cell\t\n'), 'a             b         c\nlonger cell   \n');
});

test('a row the template fails on is one usage error in Docker\'s words', (t) => {
  const err = t.throws(() => renderFormat('{{.Nope}}', SOURCE), { instanceOf: StrataError });
  t.is(err?.message, 'template parsing error: template: :1:2: executing "" at <.Nope>: can\'t evaluate field Nope in type *formatter.imageContext');
  const words = t.throws(() => renderFormat('{{.Nope}}', SOURCE, { exec: 'failed to execute template' }));
  t.regex(words?.message ?? '', /^failed to execute template: template: :1:2:/);
  t.throws(() => renderFormat('{{.ID', SOURCE), { message: 'template parsing error: template: :1: unclosed action' });
});
