'use strict';
// `nx g @specwright/nx:project <name>`. See bin/entry.cjs for how modules are loaded.
const generator = require('../../../bin/entry.cjs').loadModule('generators/project/generator');
module.exports = generator.projectGenerator;
module.exports.default = generator.projectGenerator;
