import path from 'node:path';
import type { NextConfig } from 'next';

// The app lives inside the library's repository and uses the library's dist/ and the
// repository's single copy of next/react, so the root must cover the whole repository.
const repositoryRoot = path.join(__dirname, '..', '..');

const nextConfig: NextConfig = {
  turbopack: { root: repositoryRoot },
  outputFileTracingRoot: repositoryRoot,
};

export default nextConfig;
