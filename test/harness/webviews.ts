/** Finding a webview's document in the workbench when several are open side by side. */
import type { FrameLocator } from 'playwright-core';
import type { Workbench } from './browser';

/** The visible webview whose document has `selector` (`iframe.webview.ready` → `#active-frame`), polled until `timeout`. */
export async function webviewWith(wb: Workbench, selector: string, timeout = 30_000): Promise<FrameLocator> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const outers = wb.page.locator('iframe.webview.ready');
    const n = await outers.count();
    for (let i = 0; i < n; i++) {
      const frame = outers.nth(i).contentFrame().locator('#active-frame').contentFrame();
      if (await frame.locator(selector).count().catch(() => 0)) return frame;
    }
    await wb.page.waitForTimeout(300);
  }
  throw new Error(`no webview shows ${selector}`);
}
