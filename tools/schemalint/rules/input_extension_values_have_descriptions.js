// input-object-values-have-descriptions looks only at `input X { ... }`; the
// hand-written schema adds most input fields with `extend input X { ... }`
// (one file per feature), so this rule checks those the same way.
const { ValidationError } = require('graphql-schema-linter/lib/validation_error');

function InputExtensionValuesHaveDescriptions(configuration, context) {
  return {
    InputValueDefinition(node, key, parent, path, ancestors) {
      const owner = ancestors[ancestors.length - 1];
      if (owner.kind !== 'InputObjectTypeExtension' || (node.description && node.description.value)) {
        return;
      }
      context.reportError(
        new ValidationError(
          'input-extension-values-have-descriptions',
          `The input value \`${owner.name.value}.${node.name.value}\` is missing a description.`,
          [node],
        ),
      );
    },
  };
}

module.exports = { InputExtensionValuesHaveDescriptions };
