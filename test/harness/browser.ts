/**
 * Drives a VS Code web workbench with playwright-core in Debian's Chromium
 * (`npx playwright install` cannot download browsers here). One fresh profile,
 * HOME and TMPDIR per run, inside a temp dir that close() removes.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Locator, type Page } from 'playwright-core';
import { REPO_ROOT } from './vscode-server';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const ARTIFACTS_ROOT = path.join(REPO_ROOT, 'test-results');

/** Flags measured on this kind of machine (FIELD-NOTES): headless, no sandbox as root, no network side-channels. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

/** Workbench launch parameters in the `payload` URL parameter, as `code --extensionDevelopmentPath …` would pass them. */
export type WorkbenchPayload = [string, string][];

export interface OpenWorkbenchOptions {
  /** Screenshots and logs go here; default test-results/. */
  artifactsDir?: string;
  /** Called before navigation, e.g. to expose window.codeAutomationExit. */
  beforeNavigate?: (page: Page) => Promise<void>;
  viewport?: { width: number; height: number };
  /** Print the page's console errors to stderr. */
  echoConsoleErrors?: boolean;
}

export class Workbench {
  private shotIndex = 0;

  constructor(
    readonly page: Page,
    private readonly context: BrowserContext,
    private readonly profileDir: string,
    readonly artifactsDir: string,
  ) {}

  /** The quick input box (command palette, quick open, quick pick, input box). */
  get quickInput(): Locator {
    return this.page.locator('.quick-input-widget input');
  }

  quickInputRow(text: string): Locator {
    return this.page.locator('.quick-input-list .monaco-list-row', { hasText: text }).first();
  }

  /**
   * A status bar item by id. Built-in items use their id as the element id
   * (`status.editor.mode`); an extension's item is prefixed with the extension id
   * (`publisher.name.policyStudio.status`), so match either.
   */
  statusBarItem(id: string): Locator {
    return this.page.locator(`.statusbar-item[id="${id}"], .statusbar-item[id$=".${id}"]`).first();
  }

  /**
   * Runs a command from the palette by its title (e.g. "Policy Studio: Deploy").
   * The palette snapshots the command list when it opens, and right after load
   * the extension host may not have registered the extension's commands yet:
   * reopen it until the entry shows up.
   */
  async runCommand(title: string, attempts = 20): Promise<void> {
    for (let i = 1; i <= attempts; i++) {
      await this.page.keyboard.press('F1');
      await this.quickInput.waitFor({ state: 'visible', timeout: 15_000 });
      // The input already holds '>'; type() sends real key events.
      await this.page.keyboard.type(title);
      const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
      try {
        await row.waitFor({ timeout: 2000 });
      } catch (err) {
        await this.page.keyboard.press('Escape');
        if (i === attempts) {
          await this.screenshot(`command-not-found-${slug(title)}`);
          throw new Error(`command "${title}" never appeared in the palette: ${String(err)}`);
        }
        await this.page.waitForTimeout(500);
        continue;
      }
      await row.click();
      return;
    }
  }

  /**
   * Picks an item in the open quick pick by typing its label and pressing
   * Enter once that item is the focused row (Enter would otherwise accept
   * whatever was focused before the filter applied).
   */
  async pickQuickItem(label: string): Promise<void> {
    await this.waitForQuickInput('pick');
    await this.page.keyboard.type(label);
    await this.page.locator('.quick-input-list .monaco-list-row.focused', { hasText: label }).first().waitFor({ timeout: 15_000 });
    await this.page.keyboard.press('Enter');
  }

  /** Types into an open input box (showInputBox) and presses Enter. */
  async answerInputBox(text: string): Promise<void> {
    await this.waitForQuickInput('input');
    await this.page.keyboard.type(text);
    await this.page.keyboard.press('Enter');
  }

  /**
   * Waits until a fresh quick input of the given kind has focus: visible, empty,
   * and with (pick) or without (input box) a list. Between two steps of a
   * multi-step flow the widget hides for a moment; keys typed then go to the editor.
   */
  async waitForQuickInput(kind: 'pick' | 'input', timeout = 30_000): Promise<void> {
    await this.page.waitForFunction((wanted) => {
      const widget = document.querySelector<HTMLElement>('.quick-input-widget');
      if (!widget || getComputedStyle(widget).display === 'none') return false;
      const input = widget.querySelector<HTMLInputElement>('input');
      if (!input || input.value !== '' || document.activeElement !== input) return false;
      const rows = Array.from(widget.querySelectorAll<HTMLElement>('.quick-input-list .monaco-list-row'));
      const hasList = rows.some((r) => r.offsetParent !== null);
      return wanted === 'pick' ? hasList : !hasList;
    }, kind, { timeout });
  }

  /** Opens a workspace file with Quick Open (Ctrl+P), the way a user does. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press('Control+P');
    await this.quickInput.waitFor({ state: 'visible', timeout: 15_000 });
    await this.page.keyboard.type(name);
    const row = this.quickInputRow(name);
    await row.waitFor({ timeout: 15_000 });
    // Click the row itself: Enter takes whichever row has focus, and while the
    // list still refilters that can be a recently opened file.
    await row.click();
    const base = name.split('/').pop()!;
    await this.page.locator('.tabs-container .tab.active', { hasText: base }).waitFor({ timeout: 15_000 });
    await this.page.locator('.editor-instance .monaco-editor .view-lines').first().waitFor({ timeout: 15_000 });
  }

  /**
   * The content frame of a webview: the outer `iframe.webview.ready` hosts an
   * inner `#active-frame` with the extension's HTML. With a title, picks the
   * webview whose iframe carries that title; otherwise the visible one.
   */
  webviewFrame(title?: string): FrameLocator {
    const outer = title
      ? this.page.locator(`iframe.webview.ready[title="${title.replace(/"/g, '\\"')}"]`)
      : this.page.locator('iframe.webview.ready:visible');
    return outer.first().contentFrame().locator('#active-frame').contentFrame();
  }

  /** Saves a full-page PNG as <artifactsDir>/<NN>-<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    fs.mkdirSync(this.artifactsDir, { recursive: true });
    const file = path.join(this.artifactsDir, `${String(++this.shotIndex).padStart(2, '0')}-${slug(name)}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    fs.rmSync(this.profileDir, { recursive: true, force: true });
  }
}

/**
 * Opens `${url}/?folder=…&payload=…` in a fresh Chromium and waits until the
 * workbench and its status bar (filled once the remote extension host is
 * connected) are there.
 */
export async function openWorkbench(url: string, folder: string, payload?: WorkbenchPayload,
  options: OpenWorkbenchOptions = {}): Promise<Workbench> {
  const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'policy-studio-chromium-'));
  // Chromium writes ~/.config/chromium, dconf and singleton sockets: keep them in the profile dir.
  const home = {
    HOME: profileDir, TMPDIR: profileDir,
    XDG_CONFIG_HOME: path.join(profileDir, '.config'), XDG_CACHE_HOME: path.join(profileDir, '.cache'),
  };
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(path.join(profileDir, 'profile'), {
      executablePath: CHROMIUM,
      headless: true,
      env: { ...process.env, ...home },
      viewport: options.viewport ?? { width: 1400, height: 900 },
      args: CHROMIUM_ARGS,
    });
    const page = context.pages()[0] ?? await context.newPage();
    if (options.echoConsoleErrors) {
      page.on('console', (m) => { if (m.type() === 'error') process.stderr.write(`  [browser] ${m.text().slice(0, 300)}\n`); });
    }
    await options.beforeNavigate?.(page);
    let target = `${url}/?folder=${encodeURIComponent(path.resolve(folder))}`;
    if (payload) target += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    await page.goto(target);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    await page.locator('.statusbar').waitFor({ timeout: 60_000 });
    return new Workbench(page, context, profileDir, options.artifactsDir ?? ARTIFACTS_ROOT);
  } catch (err) {
    await context?.close().catch(() => undefined);
    fs.rmSync(profileDir, { recursive: true, force: true });
    throw err;
  }
}

function slug(s: string): string {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
}
