// Vite builds the page: it resolves the `new Worker(new URL('<package path>',
// import.meta.url))` worker loaders and the CSS/asset imports that
// monaco-vscode-api relies on, which a plain esbuild bundle does not.
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // monaco-vscode-api is large by nature; its chunks are not a problem to report.
    chunkSizeWarningLimit: 20_000,
    sourcemap: false,
  },
  worker: { format: 'es' },
});
