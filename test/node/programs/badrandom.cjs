// Preloaded before the hook (node -r badrandom.cjs --import hook): Math.random
// throws from the start, so the hook never saw a working one.
Math.random = () => {
  throw new Error('no random numbers here');
};
