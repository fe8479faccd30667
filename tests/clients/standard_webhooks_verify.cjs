// The npm standardwebhooks verifier in Node: checks each received delivery against a secret.
// Cases come from the JSON file named by PLANTGATE_WEBHOOK_CASES ([{secret, body, headers}]);
// prints one JSON line: per case "ok" or the verifier's error message.
const fs = require("fs");
const { Webhook } = require("standardwebhooks");

const cases = JSON.parse(fs.readFileSync(process.env.PLANTGATE_WEBHOOK_CASES, "utf8"));
const results = cases.map(({ secret, body, headers }) => {
  try {
    new Webhook(secret).verify(body, headers);
    return "ok";
  } catch (error) {
    return `${error.name}: ${error.message}`;
  }
});
console.log(JSON.stringify(results));
