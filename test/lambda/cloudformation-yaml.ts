import { readFileSync } from 'node:fs';
import { parse, type Tags, type YAMLMap, type YAMLSeq } from 'yaml';

// CloudFormation's short-form intrinsics (`!Ref X`, `!GetAtt T.Arn`, `!Sub [...]`), read into
// their long form (`{ Ref: X }`, `{ 'Fn::GetAtt': ['T', 'Arn'] }`), so tests compare plain data.
const INTRINSICS = [
  'Ref',
  'Condition',
  'GetAtt',
  'Sub',
  'Join',
  'Select',
  'Split',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
  'FindInMap',
  'Base64',
  'Cidr',
  'ImportValue',
  'GetAZs',
  'Transform',
  'ToJsonString',
  'Length',
];

function longName(name: string): string {
  return name === 'Ref' || name === 'Condition' ? name : `Fn::${name}`;
}

const customTags: Tags = INTRINSICS.flatMap((name) => [
  {
    tag: `!${name}`,
    resolve: (value: string) => ({ [longName(name)]: name === 'GetAtt' ? value.split('.') : value }),
  },
  {
    tag: `!${name}`,
    collection: 'seq' as const,
    resolve: (seq: YAMLSeq) => ({ [longName(name)]: seq.toJSON() }),
  },
  {
    tag: `!${name}`,
    collection: 'map' as const,
    resolve: (map: YAMLMap) => ({ [longName(name)]: map.toJSON() }),
  },
]) as Tags;

/** The top of a CloudFormation / SAM template; resources are narrowed by the code that reads them. */
export interface Template {
  Transform?: unknown;
  Resources: Record<string, { Type: string }>;
}

/** A CloudFormation / SAM template file as plain data, intrinsics in their long form. */
export function readTemplate(path: string | URL): Template {
  return parse(readFileSync(path, 'utf8'), { customTags });
}
