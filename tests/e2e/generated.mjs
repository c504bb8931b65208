// Generated questionnaires of any size for the browser tests and benchmarks: the same
// shape as the engine's (crates/engine/tests/common/generate.rs): groups of ten items of
// every common type, enableWhen chains inside each group and from group to group, every
// fifth group repeating.

const KINDS = ['boolean', 'integer', 'string', 'choice', 'date', 'decimal', 'integer', 'text', 'boolean'];
const MIN = 'http://hl7.org/fhir/StructureDefinition/minValue';
const MAX = 'http://hl7.org/fhir/StructureDefinition/maxValue';
const YES = { system: 'http://snomed.info/sct', code: '373066001', display: 'Yes' };
const NO = { system: 'http://snomed.info/sct', code: '373067005', display: 'No' };

/** A questionnaire of about `items` items (a multiple of ten). */
export function generatedQuestionnaire(items) {
  const groups = Math.max(1, Math.ceil(items / 10));
  const out = [];
  for (let g = 0; g < groups; g += 1) {
    const id = (k) => `g${g}.q${k}`;
    const children = KINDS.map((kind, k) => {
      const item = { linkId: id(k), type: kind, text: `Question ${k} of group ${g}` };
      if (k === 1) {
        item.required = true;
        item.extension = [{ url: MIN, valueInteger: 0 }, { url: MAX, valueInteger: 120 }];
        item.enableWhen = [{ question: id(0), operator: '=', answerBoolean: true }];
      } else if (k === 2) {
        item.maxLength = 20;
        item.enableWhen = [{ question: id(1), operator: '>', answerInteger: 10 }];
      } else if (k === 3) {
        item.answerOption = [{ valueCoding: YES }, { valueCoding: NO }];
      } else if (k === 4) {
        item.extension = [{ url: MIN, valueDate: '2000-01-01' }];
      } else if (k === 5) {
        item.extension = [{ url: 'http://hl7.org/fhir/StructureDefinition/maxDecimalPlaces', valueInteger: 2 }];
      } else if (k === 6) {
        item.enableBehavior = 'any';
        item.enableWhen = [
          { question: id(3), operator: '=', answerCoding: { system: YES.system, code: YES.code } },
          { question: id(5), operator: '>=', answerDecimal: 1.5 },
        ];
      } else if (k === 7) {
        item.enableWhen = [{ question: id(6), operator: 'exists', answerBoolean: true }];
      } else if (k === 8) {
        item.initial = [{ valueBoolean: true }];
      }
      return item;
    });
    const group = { linkId: `g${g}`, type: 'group', text: `Group ${g}`, item: children };
    if (g % 5 === 4) group.repeats = true;
    if (g > 0) group.enableWhen = [{ question: `g${g - 1}.q8`, operator: '=', answerBoolean: true }];
    out.push(group);
  }
  return {
    resourceType: 'Questionnaire', status: 'active', title: `Generated, ${items} items`,
    url: `http://example.org/Questionnaire/generated-${items}`, version: '1', item: out,
  };
}
