package dev.herald.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.herald.server.ContractCheck;
import dev.herald.server.TestServer;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * {@code /docs} in a real browser (Debian's chromium through its chromedriver): Swagger UI renders every operation of
 * {@code /openapi.json} — each operationId under its tag, with its method and path — and shows no error box (a
 * document it cannot parse, such as one holding a key twice, shows one). The page's screenshot is written to
 * {@code target/docs-screenshots}. Mandatory under {@code CI=true}; elsewhere skipped when chromium or chromedriver is
 * missing.
 */
class DocsBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SHOTS = Path.of("target", "docs-screenshots");
    /** Every rendered operation's id, method and path, and the text of any error box. */
    private static final String RENDERED = """
            return {
              operations: Array.from(document.querySelectorAll('.opblock')).map(o => ({
                id: o.id,
                method: (o.querySelector('.opblock-summary-method') || {}).textContent || '',
                path: (o.querySelector('.opblock-summary-path') || {dataset: {}}).dataset.path || ''
              })),
              errors: Array.from(document.querySelectorAll('.errors-wrapper, .swagger-ui .errors')).map(e => e.textContent)
            };""";

    @Test
    void docsRenderEveryOperationOfTheDocumentWithoutAnError() throws IOException {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!present) {
            String why = "the docs' browser test needs Debian's chromium and chromium-driver (" + CHROMIUM + ", " + CHROMEDRIVER + ")";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(why + ": under CI=true it may not be skipped (.ci/run installs them)");
            }
            Assumptions.abort(why + "; skipped: apt-get install chromium chromium-driver to run it");
        }
        Path profile = Files.createTempDirectory("herald-chromium-docs");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,2400");
        WebDriver driver = null;
        try (TestServer server = TestServer.start(false)) {
            driver = new ChromeDriver(service, options);
            driver.get("http://127.0.0.1:" + server.port() + "/docs");
            Set<String> expected = new TreeSet<>();
            for (ContractCheck.Operation o : ContractCheck.all()) {
                String tag = o.spec().path("tags").path(0).asText("default");
                expected.add("operations-" + tag + "-" + o.spec().path("operationId").asText() + " " + o.method() + " " + o.template());
            }
            JavascriptExecutor js = (JavascriptExecutor) driver;
            // rendered when every operation is on the page, or an error box shows
            Map<?, ?> seen = new WebDriverWait(driver, Duration.ofSeconds(60)).until(d -> {
                Map<?, ?> r = (Map<?, ?>) js.executeScript(RENDERED);
                return ((List<?>) r.get("errors")).isEmpty() && ((List<?>) r.get("operations")).size() < expected.size() ? null : r;
            });
            shot(driver);
            assertThat((List<?>) seen.get("errors")).as("Swagger UI's error box").isEmpty();
            Set<String> rendered = new TreeSet<>();
            for (Object o : (List<?>) seen.get("operations")) {
                Map<?, ?> op = (Map<?, ?>) o;
                rendered.add(op.get("id") + " " + op.get("method").toString().toUpperCase() + " " + op.get("path"));
            }
            assertThat(rendered).as("every operation, under its first tag, with its method and path").containsAll(expected);
            // the catalog's schemas are in the document's "Schemas": open transfer.completed's and find its fields
            Object opened = new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> js.executeScript("""
                    const m = Array.from(document.querySelectorAll('.models article.json-schema-2020-12'))
                      .find(a => (a.querySelector('.json-schema-2020-12__title') || {}).textContent?.toLowerCase().startsWith('transfer.completed data'));
                    if (!m) return null;
                    m.scrollIntoView();
                    if (!m.textContent.includes('debit_transaction_uuid')) {
                      m.querySelector('.json-schema-2020-12-expand-deep-button').click();
                      return null;
                    }
                    return m.textContent;"""));
            shot(driver);
            assertThat(opened.toString()).contains("amount").contains("debit_transaction_uuid");
        } finally {
            if (driver != null) {
                driver.quit();
            }
            service.stop();
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    private static void shot(WebDriver driver) throws IOException {
        Files.createDirectories(SHOTS);
        File f = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(f.toPath(), SHOTS.resolve("docs.png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
