module.exports = async function globalTeardown() {
  if (globalThis.__KEYWAY_TEST_DB__) await globalThis.__KEYWAY_TEST_DB__.stop();
};
