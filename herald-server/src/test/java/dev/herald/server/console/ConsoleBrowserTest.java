package dev.herald.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import dev.herald.server.TestServer;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser (Debian's chromium, driven through its chromedriver): an operator logs in, creates an
 * endpoint (seeing the API's validation error next to the field first), sends a test, finds the delivery and its
 * attempt, resends it, recovers failures and logs out; a merchant's key sees only its own endpoints and cannot open
 * another merchant's by URL; the event catalog's pages, the endpoint form's event picker and a payload beside its
 * schema. Every page's screenshot is written to {@code target/console-screenshots}. Mandatory under
 * {@code CI=true}; elsewhere skipped when chromium or chromedriver is missing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    private static final Path SHOTS = Path.of("target", "console-screenshots");

    private static TestServer server;
    private static HttpServer receiver;
    private static final AtomicInteger answer = new AtomicInteger(500);
    private static final AtomicInteger received = new AtomicInteger();
    private static ChromeDriverService service;
    private static WebDriver driver;
    private static Path profile;
    private static String merchantKey;
    private static String endpointOfB;

    @BeforeAll
    static void start() throws IOException {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!present) {
            String why = "the console's browser test needs Debian's chromium and chromium-driver (" + CHROMIUM + ", " + CHROMEDRIVER + ")";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(why + ": under CI=true it may not be skipped (.ci/run installs them)");
            }
            Assumptions.abort(why + "; skipped: apt-get install chromium chromium-driver to run it");
        }
        server = TestServer.start(true);
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/", x -> {
            x.getRequestBody().readAllBytes();
            received.incrementAndGet();
            int status = answer.get();
            byte[] body = (status == 200 ? "{\"ok\": true}" : "{\"error\": \"receiver down <b>not bold</b>\"}").getBytes(StandardCharsets.UTF_8);
            x.getResponseHeaders().add("Content-Type", "application/json");
            x.getResponseHeaders().add("X-Receiver", "test-receiver");
            x.sendResponseHeaders(status, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        receiver.start();
        for (String m : List.of("mA", "mB")) {
            assertThat(server.put("/v1/merchants/" + m, "{\"name\": \"Merchant " + m + "\"}").status()).isEqualTo(201);
        }
        merchantKey = server.postJson("/v1/api-keys", Map.of("name", "shop-a", "merchant_id", "mA", "scopes", List.of("merchant:write")))
                .json().get("key").asText();
        endpointOfB = server.createEndpoint(Map.of("name", "b-secret-endpoint", "url", "http://127.0.0.1:9/b", "events", List.of("*"),
                "merchant_id", "mB", "is_active", false)).get("id").asText();

        Files.createDirectories(SHOTS);
        profile = Files.createTempDirectory("herald-chromium");
        // the Debian driver and browser, named explicitly: Selenium Manager never runs and nothing is downloaded
        service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--disable-dev-shm-usage", "--user-data-dir=" + profile, "--window-size=1280,900");
        driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(20));
    }

    @AfterAll
    static void stop() throws IOException {
        if (driver != null) {
            driver.quit();
        }
        if (service != null) {
            service.stop();
        }
        if (receiver != null) {
            receiver.stop(0);
        }
        if (server != null) {
            server.close();
        }
        if (profile != null) {
            try (var files = Files.walk(profile)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    @Order(1)
    void anOperatorManagesAnEndpointAndItsDeliveriesThroughTheConsole() {
        open("/console");
        WebElement key = waitFor(By.id("f-key"));
        assertThat(driver.findElement(By.id("logout")).isDisplayed()).as("no Log out before logging in").isFalse();
        assertThat(driver.findElement(By.id("top")).isDisplayed()).isFalse();
        shot("01-login");
        key.sendKeys("hk_this-is-not-a-valid-key-000000");
        click(By.cssSelector("form.login button[type=submit]"));
        assertThat(waitForText(By.id("err-key"), "not valid")).contains("not valid");
        key.clear();
        key.sendKeys(TestServer.ADMIN_KEY);
        click(By.cssSelector("form.login button[type=submit]"));
        waitForText(By.cssSelector("main h1"), "Overview");
        waitFor(By.cssSelector("figure.chart svg"));
        assertChartLabelsAreReadable();
        shot("02-overview");
        assertSessionIsOnlyAnHttpOnlyCookie();

        // create: the API's validation error shows next to its field first
        go("#/endpoints/new");
        WebElement url = waitFor(By.id("f-url"));
        url.sendKeys("ftp://not-a-webhook");
        type(By.id("f-name"), "orders");
        click(By.cssSelector("form.edit button[type=submit]"));
        String urlError = waitForNonEmpty(By.id("err-url"));
        assertThat(urlError).isNotBlank();
        assertThat(driver.findElement(By.id("f-url")).getAttribute("aria-invalid")).isEqualTo("true");
        shot("03-endpoint-form-error");
        url.clear();
        url.sendKeys("http://127.0.0.1:" + receiver.getAddress().getPort() + "/hooks");
        type(By.id("f-merchant_id"), "mA");
        WebElement attempts = driver.findElement(By.id("f-retry_attempts"));
        attempts.clear();
        attempts.sendKeys("0");
        type(By.id("f-retry_schedule"), "30s, 5m, 2h");
        type(By.id("f-headers"), "X-Api-Token: t0ken-from-the-form\nX-Shop: orders");
        driver.findElement(By.id("f-signature_schemes")).sendKeys(Keys.SPACE); // sha256, by keyboard
        click(By.id("f-scheme-v1"));
        shot("03b-endpoint-form-schedule-headers-schemes");
        click(By.cssSelector("form.edit button[type=submit]"));
        assertThat(waitFor(By.id("secret-once")).getText()).startsWith("whsec_");
        shot("04-endpoint-created-secret-once");
        click(By.linkText("Go to the endpoint"));
        waitForText(By.cssSelector("main h1"), "orders");
        String created = driver.findElement(By.cssSelector("dl.facts dd")).getText();
        JsonNode saved = server.get("/v1/endpoints/" + created).json();
        assertThat(saved.get("retry_schedule").toString()).isEqualTo("[30,300,7200]");
        assertThat(TestServer.JSON.convertValue(saved.get("headers"), Map.class)).isEqualTo(Map.of("X-Api-Token", "********", "X-Shop", "********"));
        assertThat(saved.get("signature_schemes").toString()).isEqualTo("[\"sha256\",\"v1\"]");
        go("#/endpoints/" + created + "/edit");
        assertThat(waitFor(By.id("f-retry_schedule")).getAttribute("value")).isEqualTo("30s, 5m, 2h");
        assertThat(driver.findElement(By.id("f-headers")).getAttribute("value")).contains("X-Api-Token: ********").doesNotContain("t0ken");
        assertThat(driver.findElement(By.id("f-signature_schemes")).isSelected()).isTrue();
        assertThat(driver.findElement(By.id("f-scheme-v1a")).isSelected()).isFalse();
        type(By.id("f-retry_schedule"), "30s, soon");
        click(By.cssSelector("form.edit button[type=submit]"));
        assertThat(waitForNonEmpty(By.id("err-retry_schedule"))).contains("15s");
        type(By.id("f-retry_schedule"), "1m, 10m");
        click(By.cssSelector("form.edit button[type=submit]"));
        waitForText(By.id("notice"), "Saved.");
        assertThat(server.get("/v1/endpoints/" + created).json().get("retry_schedule").toString()).isEqualTo("[60,600]");
        assertThat(server.get("/v1/endpoints/" + created).json().get("headers").size()).as("masked values keep the stored ones").isEqualTo(2);
        waitForText(By.cssSelector("main h1"), "orders");

        // test: the receiver answers 500; the result shows its status, latency and excerpt, and links the delivery
        click(By.xpath("//button[text()='Send test']"));
        WebElement result = waitFor(By.cssSelector("section.test-result"));
        waitForText(By.cssSelector("section.test-result"), "500");
        assertThat(result.getText()).contains("500", " ms", "receiver down <b>not bold</b>");
        shot("05-endpoint-detail-test");
        String testDelivery = result.findElement(By.partialLinkText("dlv_")).getText();
        go("#/deliveries?endpoint_id=" + created);
        waitForText(By.cssSelector("main caption"), "Deliveries (1)");
        WebElement row = driver.findElement(By.cssSelector("main tbody tr"));
        assertThat(row.findElement(By.cssSelector("td[data-label=Endpoint]")).getText()).as("the endpoint by name").startsWith("orders\n" + created);
        assertThat(driver.findElements(By.cssSelector("main th"))).extracting(WebElement::getText).contains("Error");
        assertThat(row.findElement(By.cssSelector("td[data-label=Error]")).getText()).as("the last error").isNotBlank().isNotEqualTo("—");
        assertNoWordIsBroken("main table th");
        assertNoWordIsBroken("main table td[data-label=Event]");
        assertNoWordIsBroken("main table td[data-label=Delivery]");
        shot("05b-deliveries-endpoint-names-and-errors");
        go("#/deliveries/" + testDelivery);

        // the delivery and its attempt; resend once the receiver is back
        waitForText(By.cssSelector("main h1"), "Delivery dlv_");
        WebElement timeline = waitFor(By.cssSelector("ol.timeline"));
        click(By.xpath("//summary[starts-with(text(),'Response headers')]"));
        assertThat(timeline.getText()).contains("Attempt 1", "500", "http_status", "receiver down <b>not bold</b>");
        assertThat(waitFor(By.cssSelector("ol.timeline dl.headers")).getText()).containsIgnoringCase("X-Receiver").contains("test-receiver");
        String deliveryId = driver.findElement(By.cssSelector("main h1")).getText().replace("Delivery ", "");
        WebElement request = driver.findElement(By.cssSelector("section.request"));
        assertThat(request.findElement(By.cssSelector(".request-line")).getText())
                .isEqualTo("POST http://127.0.0.1:" + receiver.getAddress().getPort() + "/hooks");
        assertThat(request.findElement(By.cssSelector("dl.request-headers")).getText())
                .contains("X-Webhook-Delivery\n" + deliveryId, "X-Api-Token\n********", "Content-Type\napplication/json", "webhook-signature")
                .doesNotContain("t0ken-from-the-form");
        assertThat(request.findElement(By.cssSelector("pre.request-body")).getText()).contains("\"webhook.test\"", "This is a test event from Herald.");
        ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", request);
        shot("06-delivery-attempt-500");
        answer.set(200);
        click(By.xpath("//button[text()='Resend']"));
        waitForText(By.cssSelector("ol.timeline"), "Attempt 2");
        waitForText(By.cssSelector("dl.facts"), "delivered");
        assertThat(driver.findElement(By.cssSelector("ol.timeline")).getText()).contains("200");
        assertThat(driver.findElement(By.cssSelector("dl.facts")).getText()).contains("Attempts\n2").doesNotContain("[object");
        shot("07-delivery-resent-delivered");

        // recover: two failures, counted before the recovery runs, then followed until they are delivered
        answer.set(500);
        String endpointId = driver.findElement(By.cssSelector("dl.facts")).findElement(By.partialLinkText("ep_")).getText();
        for (int i = 0; i < 2; i++) {
            assertThat(server.post("/v1/endpoints/" + endpointId + "/test").json().get("success").asBoolean()).isFalse();
        }
        answer.set(200);
        go("#/endpoints/" + endpointId);
        click(By.xpath("//form[contains(@class,'recover')]//button[text()='Count']"));
        assertThat(waitForText(By.cssSelector("form.recover p.count"), "2 failed deliveries")).contains("will be sent again");
        shot("08-recover-count");
        int before = received.get();
        click(By.xpath("//button[starts-with(text(),'Recover 2')]"));
        waitForText(By.cssSelector("form.recover"), "Recovery finished");
        assertThat(driver.findElement(By.cssSelector("form.recover")).getText()).contains("2 of 2 done: 2 delivered");
        assertThat(received.get() - before).isGreaterThanOrEqualTo(2);
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> !d.findElement(By.cssSelector("main table tbody")).getText().contains("failed"));
        shot("09-recover-finished");

        // disable, enable, rotate the secret (shown once), delete another endpoint after a confirmation
        click(By.xpath("//button[text()='Disable']"));
        waitForText(By.cssSelector("dl.facts"), "disabled");
        click(By.xpath("//button[text()='Enable']"));
        waitForText(By.cssSelector("dl.facts"), "active");
        click(By.xpath("//button[text()='Rotate secret']"));
        assertThat(waitFor(By.id("secret-once")).getText()).matches("whsec_[A-Za-z0-9+/]{32}");
        shot("09b-secret-rotated");
        String doomed = server.createEndpoint(Map.of("name", "doomed", "url", "http://127.0.0.1:9/d", "events", List.of("*"), "is_active", false))
                .get("id").asText();
        go("#/endpoints/" + doomed);
        waitForText(By.cssSelector("main h1"), "doomed");
        click(By.xpath("//button[text()='Delete…']"));
        click(By.xpath("//button[text()='Keep it']"));
        assertThat(driver.findElements(By.cssSelector(".confirm"))).isEmpty();
        click(By.xpath("//button[text()='Delete…']"));
        shot("09c-delete-confirmation");
        click(By.xpath("//button[text()='Yes, delete doomed']"));
        waitForText(By.id("notice"), "deleted");
        assertThat(server.get("/v1/endpoints/" + doomed).status()).isEqualTo(404);

        // the other pages an operator has
        go("#/deliveries?endpoint_id=" + endpointId);
        waitForText(By.cssSelector("main caption"), "Deliveries (3)");
        shot("10-deliveries");

        // bulk resend: the list's filters, a count to confirm, then every matching delivery sent again
        answer.set(500);
        for (int i = 0; i < 2; i++) {
            assertThat(server.post("/v1/endpoints/" + endpointId + "/test").json().get("success").asBoolean()).isFalse();
        }
        answer.set(200);
        go("#/deliveries?endpoint_id=" + endpointId + "&status=failed");
        waitForText(By.cssSelector("main caption"), "Deliveries (2)");
        click(By.xpath("//button[text()='Resend all that match…']"));
        assertThat(waitForText(By.cssSelector(".bulk .confirm"), "Send 2 deliveries")).contains("matching these filters again");
        shot("10b-bulk-resend-confirm");
        int beforeBulk = received.get();
        click(By.xpath("//button[text()='Yes, resend 2 deliveries']"));
        assertThat(waitForText(By.cssSelector(".bulk-done"), "Resent")).isEqualTo("Resent 2 of 2 deliveries.");
        shot("10c-bulk-resend-done");
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> server.get("/v1/deliveries?status=failed&endpoint_id=" + endpointId)
                .json().get("data").isEmpty());
        assertThat(received.get() - beforeBulk).isGreaterThanOrEqualTo(2);
        assertThat(server.get("/v1/audit?action=delivery.bulk_resend").json().get("data")).hasSize(2);
        go("#/deliveries?status=failed&endpoint_id=" + endpointId); // another hash than the page's, so the list is drawn anew
        waitForText(By.cssSelector("main .page"), "No deliveries.");
        go("#/deliveries?merchant_id=" + "x".repeat(200));
        assertThat(waitForNonEmpty(By.id("err-merchant_id"))).as("a bad filter is shown at its field").isNotBlank();
        assertThat(driver.findElement(By.id("f-status")).isDisplayed()).isTrue();
        go("#/events");
        waitForText(By.cssSelector("main caption"), "Events");
        shot("11-events");
        driver.findElement(By.cssSelector("main tbody a")).click();
        waitForText(By.cssSelector("main"), "Payload");
        assertThat(driver.findElement(By.cssSelector("main")).getText()).contains("This is a test event from Herald.", "dlv_");
        shot("12-event-detail");

        // the producer's data as posted: numbers are not re-printed on the way to the page
        String posted = server.post("/v1/events", "{\"event\": \"payment.settled\", \"merchant_id\": \"mA\","
                + " \"data\": {\"amount\": 12.30, \"fee\": 1.0E2, \"note\": \"a \\\"quoted\\\" }\"}}").json().get("id").asText();
        go("#/events/" + posted);
        String data = waitForNonEmpty(By.id("event-data"));
        assertThat(data).contains("\"amount\": 12.30", "\"fee\": 1.0E2", "\"note\": \"a \\\"quoted\\\" }\"").doesNotContain("12.3,", "1E+2", "100");
        assertThat((String) ((JavascriptExecutor) driver).executeAsyncScript("const done = arguments[arguments.length - 1];"
                + " import('/console/rawjson.js').then(m => done(m.rawMember(arguments[0], 'data')))",
                "{\"id\": \"e\", \"note\": \"{\\\"data\\\": 1}\", \"data\": {\"amount\": 12.30, \"list\": [1.0E2, \"]\"]}, \"after\": 1}"))
                .as("the data member's text, exactly as written").isEqualTo("{\"amount\": 12.30, \"list\": [1.0E2, \"]\"]}");
        shot("12b-event-data-as-posted");
        go("#/endpoints");
        waitForText(By.cssSelector("main caption"), "Endpoints (2)");
        shot("13-endpoints");
        go("#/merchants/mA");
        waitForText(By.cssSelector("main h1"), "Merchant mA");
        type(By.id("f-tls.client_certificate"), "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----");
        click(By.xpath("//button[text()='Save certificates']"));
        assertThat(waitForNonEmpty(By.cssSelector("form.edit .field-error:not(:empty)"))).isNotBlank();
        assertThat(driver.findElement(By.id("f-tls.client_certificate")).getAttribute("aria-invalid")).isEqualTo("true");
        shot("14-merchant-certificate-error");
        go("#/merchants");
        waitForText(By.cssSelector("main caption"), "Merchants (");
        assertThat(driver.findElement(By.cssSelector("main table")).getText()).contains("Merchant mA", "Merchant mB");
        shot("14b-merchants-list");
        type(By.id("f-q"), "merchant mb" + Keys.ENTER);
        waitForText(By.cssSelector("main caption"), "Merchants (1)");
        assertThat(driver.findElement(By.cssSelector("main table")).getText()).contains("Merchant mB").doesNotContain("Merchant mA");
        assertThat(requested("/v1/merchants?q=merchant+mb&limit=100")).as("the server searched").isTrue();
        go("#/merchants?status=paused");
        assertThat(waitForNonEmpty(By.id("err-status"))).as("a filter the API refuses is shown at its field").contains("active");
        click(By.partialLinkText("Merchants"));
        waitForText(By.cssSelector("main caption"), "Merchants (");
        click(By.linkText("Merchant mB"));
        waitForText(By.cssSelector("main h1"), "Merchant mB");
        go("#/keys");
        waitForText(By.cssSelector("main caption"), "Live keys");
        shot("15-api-keys");
        go("#/audit");
        waitForText(By.cssSelector("main caption"), "Audit entries");
        assertThat(driver.findElement(By.cssSelector("main")).getText()).contains("endpoint.recover", "endpoint.create");
        assertNoWordIsBroken("main table td[data-label=Action]");
        assertNoWordIsBroken("main table td[data-label=When]");
        shot("16-audit");
        go("#/");
        waitForText(By.cssSelector("main .tiles"), "Attempts/s");
        shot("17-overview-with-traffic");
        driver.manage().window().setSize(new Dimension(390, 844));
        go("#/endpoints/" + endpointId);
        waitForText(By.cssSelector("main h1"), "orders");
        shot("18-phone-endpoint");
        go("#/deliveries");
        waitForText(By.cssSelector("main caption"), "Deliveries");
        shot("19-phone-deliveries");
        driver.manage().window().setSize(new Dimension(1280, 900));

        logOut();
        go("#/endpoints");
        waitFor(By.id("f-key"));
        assertThat(driver.findElements(By.cssSelector("main table"))).isEmpty();
    }

    /**
     * The endpoint list is filtered by the server: a search and a status find an endpoint beyond the first page of the
     * unfiltered list, "Load more" follows the cursor with the filters kept, a filter the API refuses is shown at its
     * field; "Rotate secret" shows the secret Herald made once, and it is gone after navigating away.
     */
    @Test
    @Order(3)
    void anOperatorFiltersEndpointsOnTheServerAndRotatesASecretShownOnce() {
        assertThat(server.put("/v1/merchants/mF", "{\"name\": \"Merchant mF\"}").status()).isEqualTo(201);
        List<String> made = new java.util.ArrayList<>();
        for (int i = 0; i < 101; i++) { // more than a page of the console's list, made before the needles, so their ids sort after
            made.add(server.createEndpoint(Map.of("name", String.format("hay-%03d", i), "url", "http://127.0.0.1:9/hay/" + i, "events", List.of("filter.never"),
                    "merchant_id", "mF", "is_active", i % 2 == 0)).get("id").asText());
        }
        JsonNode needle = server.createEndpoint(Map.of("name", "needle-active", "url", "http://127.0.0.1:9/needle", "events", List.of("filter.never"),
                "merchant_id", "mF"));
        made.add(needle.get("id").asText());
        made.add(server.createEndpoint(Map.of("name", "needle-paused", "url", "http://127.0.0.1:9/needle-paused", "events", List.of("filter.never"),
                "merchant_id", "mF", "is_active", false)).get("id").asText());
        try {
            driver.manage().deleteAllCookies();
            open("/console");
            type(By.id("f-key"), TestServer.ADMIN_KEY + Keys.ENTER);
            waitForText(By.id("who"), "operator");

            go("#/endpoints");
            waitForText(By.cssSelector("main caption"), "Endpoints (100+)");
            assertThat(driver.findElement(By.cssSelector("main table")).getText()).doesNotContain("needle");
            type(By.id("f-q"), "NEEDLE");
            new org.openqa.selenium.support.ui.Select(driver.findElement(By.id("f-status"))).selectByValue("active");
            driver.findElement(By.id("f-q")).sendKeys(Keys.ENTER); // by keyboard: Enter in the search field applies the filters
            waitForText(By.cssSelector("main caption"), "Endpoints (1)");
            assertThat(driver.findElement(By.cssSelector("main table")).getText()).contains("needle-active").doesNotContain("needle-paused", "hay-");
            assertThat(driver.getCurrentUrl()).contains("#/endpoints?q=NEEDLE&status=active");
            assertThat(requested("/v1/endpoints?q=NEEDLE&status=active&limit=100")).as("the server filtered").isTrue();
            assertThat(driver.findElement(By.id("f-q")).getAttribute("value")).isEqualTo("NEEDLE");
            shot("23-endpoints-filtered-on-the-server");

            go("#/endpoints?q=hay-&merchant_id=mF");
            waitForText(By.cssSelector("main caption"), "Endpoints (100+)");
            click(By.xpath("//button[text()='Load more']"));
            waitForText(By.cssSelector("main caption"), "Endpoints (101)");
            assertThat(driver.findElements(By.xpath("//button[text()='Load more']"))).isEmpty();
            assertThat(driver.findElement(By.cssSelector("main table")).getText()).contains("hay-000", "hay-100").doesNotContain("needle");
            assertThat(requested("/v1/endpoints?q=hay-&merchant_id=mF&limit=100&cursor=")).as("the next page, filters kept").isTrue();
            click(By.id("f-failing"));
            click(By.xpath("//form[contains(@class,'filters')]//button[text()='Filter']"));
            waitForText(By.cssSelector("main .page"), "No endpoints match.");
            go("#/endpoints?status=paused");
            assertThat(waitForNonEmpty(By.id("err-status"))).as("a filter the API refuses is shown at its field").contains("active");
            assertThat(driver.findElement(By.id("f-status")).getAttribute("aria-invalid")).isEqualTo("true");
            shot("24-endpoints-bad-filter");

            go("#/endpoints/" + needle.get("id").asText());
            waitForText(By.cssSelector("main h1"), "needle-active");
            WebElement rotate = waitFor(By.xpath("//button[text()='Rotate secret']"));
            rotate.sendKeys(Keys.ENTER);
            String secret = waitFor(By.id("secret-once")).getText();
            assertThat(secret).matches("whsec_[A-Za-z0-9+/]{32}").isNotEqualTo(needle.get("secret").asText());
            assertThat(driver.findElement(By.cssSelector(".once")).getText()).contains("shown this once", "Copy it now");
            click(By.xpath("//div[contains(@class,'once')]//button[text()='Copy']"));
            assertThat(waitForNonEmpty(By.cssSelector(".once .hint"))).containsAnyOf("Copied", "Ctrl+C");
            shot("25-endpoint-secret-rotated-once");
            JsonNode audited = server.get("/v1/audit?target=" + needle.get("id").asText() + "&action=endpoint.rotate_secret").json().get("data");
            assertThat(audited).hasSize(1);
            assertThat(audited.toString()).doesNotContain(secret);
            assertThat(server.get("/v1/endpoints/" + needle.get("id").asText()).body()).doesNotContain(secret);

            go("#/endpoints");
            waitForText(By.cssSelector("main caption"), "Endpoints");
            driver.navigate().back();
            waitForText(By.cssSelector("main h1"), "needle-active");
            assertThat(driver.findElements(By.id("secret-once"))).as("shown once: gone after navigating away and back").isEmpty();
            assertThat(driver.getPageSource()).doesNotContain(secret);
            logOut();
        } finally {
            made.forEach(id -> server.delete("/v1/endpoints/" + id));
        }
    }

    /** True when the page fetched a URL whose path and query start with {@code prefix}. */
    private static boolean requested(String prefix) {
        return Boolean.TRUE.equals(((JavascriptExecutor) driver).executeScript("return performance.getEntriesByType('resource')"
                + ".some(e => { const u = new URL(e.name); return (u.pathname + u.search).startsWith(arguments[0]); })", prefix));
    }

    @Test
    @Order(2)
    void aMerchantsKeySeesOnlyItsOwnEndpointsAndCannotOpenAnothersByUrl() {
        open("/console");
        driver.manage().deleteAllCookies(); // a fresh browser session whatever the test before left
        open("/console");
        type(By.id("f-key"), merchantKey + Keys.ENTER); // by keyboard alone: the key field has the focus, Enter logs in
        waitForText(By.id("who"), "merchant mA");
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> d.switchTo().activeElement().getTagName().equals("h1")); // the page's heading takes the focus
        assertThat(driver.switchTo().activeElement().getText()).isEqualTo("Overview");
        assertThat(driver.switchTo().activeElement().getCssValue("outline-style")).as("the focused heading has no focus box").isEqualTo("none");
        shot("20a-merchant-overview-heading-focused");
        driver.switchTo().activeElement().sendKeys(Keys.TAB);
        assertThat(driver.switchTo().activeElement().getTagName()).isIn("a", "button");
        go("#/endpoints");
        waitForText(By.cssSelector("main caption"), "Endpoints");
        String list = driver.findElement(By.cssSelector("main")).getText();
        assertThat(list).contains("orders").doesNotContain("b-secret-endpoint").doesNotContain(endpointOfB);
        assertThat(driver.findElements(By.id("f-merchant_id"))).as("no merchant filter for a merchant's key").isEmpty();
        assertThat(driver.findElements(By.linkText("API keys"))).isEmpty();
        shot("20-merchant-endpoints");
        go("#/endpoints/" + endpointOfB);
        WebElement problem = waitFor(By.cssSelector("main .problem"));
        assertThat(problem.getText()).contains("Not found").doesNotContain("b-secret-endpoint");
        shot("21-merchant-other-endpoint-not-found");
        go("#/merchants/mB");
        assertThat(waitFor(By.cssSelector("main .problem")).getText()).contains("Not found");
        go("#/keys");
        assertThat(waitFor(By.cssSelector("main .problem")).getText()).contains("Forbidden");
        go("#/merchants");
        waitForText(By.cssSelector("main h1"), "Merchant mA");
        shot("22-merchant-own-merchant");
        logOut();
    }

    @Test
    @Order(30)
    void anOperatorEditsAMerchantsUrlRulesAfterAValidationErrorAndItsProxyWithoutEverSeeingThePassword() {
        String password = "pr0xy-Secret-1";
        assertThat(server.put("/v1/merchants/mRules", "{\"name\": \"Rules bank\", \"proxy\": {\"url\": \"http://egress:" + password
                + "@127.0.0.1:3128\"}}").status()).isEqualTo(201);
        freshLogin(TestServer.ADMIN_KEY);
        go("#/merchants/mRules");
        waitForText(By.cssSelector("main h1"), "Merchant Rules bank");
        assertThat(driver.findElement(By.id("f-proxy.url")).getAttribute("value")).isEqualTo("http://egress@127.0.0.1:3128");
        assertThat(driver.findElement(By.id("hint-proxy.password")).getText()).contains("A password is stored");
        assertThat(driver.getPageSource()).doesNotContain(password);

        // URL rules: the API's problem shows at the field it names, then a corrected value is saved
        type(By.id("f-url_rules.hosts"), "*.shop.example\napi.bank.example:8443");
        type(By.id("f-url_rules.private_networks"), "10.0.0.0/4");
        driver.findElement(By.id("f-url_rules.https_only")).sendKeys(Keys.SPACE); // by keyboard
        click(By.xpath("//button[text()='Save URL rules']"));
        assertThat(waitForNonEmpty(By.id("err-url_rules.private_networks"))).isNotBlank();
        assertThat(driver.findElement(By.id("f-url_rules.private_networks")).getAttribute("aria-invalid")).isEqualTo("true");
        assertThat(driver.switchTo().activeElement().getAttribute("id")).as("the field at fault has the focus").isEqualTo("f-url_rules.private_networks");
        shot("30-merchant-url-rules-error");
        type(By.id("f-url_rules.private_networks"), "10.20.0.0/16");
        click(By.xpath("//button[text()='Save URL rules']"));
        waitForText(By.id("notice"), "URL rules saved.");
        var rules = server.get("/v1/merchants/mRules").json().get("url_rules");
        assertThat(rules.get("hosts").toString()).isEqualTo("[\"*.shop.example\",\"api.bank.example:8443\"]");
        assertThat(rules.get("https_only").asBoolean()).isTrue();
        assertThat(rules.get("private_networks").get(0).asText()).isEqualTo("10.20.0.0/16");
        assertThat(driver.findElement(By.id("f-url_rules.https_only")).isSelected()).isTrue();
        shot("31-merchant-url-rules-saved");

        // proxy: a bad URL is named, a new host takes a new password, an untouched form keeps it; it is never on the page
        type(By.id("f-proxy.url"), "socks5://egress@127.0.0.1:1080");
        click(By.xpath("//button[text()='Save proxy']"));
        assertThat(waitForNonEmpty(By.id("err-proxy.url"))).contains("http://");
        type(By.id("f-proxy.url"), "http://egress@proxy-b.internal:3128");
        type(By.id("f-proxy.password"), "n3w-Pass" + Keys.ENTER); // Enter submits
        waitForText(By.id("notice"), "Proxy saved.");
        assertThat(server.get("/v1/merchants/mRules").json().get("proxy").get("url").asText()).isEqualTo("http://egress:***@proxy-b.internal:3128");
        assertThat(driver.findElement(By.id("f-proxy.password")).getAttribute("value")).isEmpty();
        ((JavascriptExecutor) driver).executeScript("document.getElementById('notice').replaceChildren()");
        click(By.xpath("//button[text()='Save proxy']"));
        waitForText(By.id("notice"), "Proxy saved.");
        assertThat(server.get("/v1/merchants/mRules").json().get("proxy").get("url").asText()).as("an empty password field kept it")
                .isEqualTo("http://egress:***@proxy-b.internal:3128");
        assertThat(driver.getPageSource()).doesNotContain(password).doesNotContain("n3w-Pass");
        shot("32-merchant-proxy-saved");
        // the allow-list: listed, by keyboard, saved with the merchant's other settings
        driver.findElement(By.id("f-listed")).sendKeys(Keys.SPACE);
        type(By.id("f-default_priority"), "12");
        click(By.xpath("//button[text()='Save']"));
        assertThat(waitForNonEmpty(By.id("err-default_priority"))).contains("between 0 and 9");
        type(By.id("f-default_priority"), "3");
        click(By.xpath("//button[text()='Save']"));
        waitForText(By.id("notice"), "Saved.");
        var saved = server.get("/v1/merchants/mRules").json();
        assertThat(saved.get("listed").asBoolean()).isTrue();
        assertThat(saved.get("default_priority").asInt()).isEqualTo(3);
        assertThat(saved.get("proxy").get("url").asText()).as("the other forms leave the proxy alone").endsWith("@proxy-b.internal:3128");
        driver.manage().window().setSize(new Dimension(390, 844));
        go("#/merchants/mRules");
        waitForText(By.cssSelector("main h1"), "Merchant Rules bank");
        WebElement rulesForm = driver.findElement(By.cssSelector("form.rules"));
        assertThat(rulesForm.getSize().getWidth()).as("no wider than the phone").isLessThanOrEqualTo(390);
        ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", rulesForm);
        shot("33-phone-merchant-controls");
        driver.manage().window().setSize(new Dimension(1280, 900));
        logOut();
    }

    @Test
    @Order(31)
    void aFailedLoginThenASuccessShowInTheAuditLog() {
        driver.manage().deleteAllCookies();
        open("/console");
        type(By.id("f-key"), "hk_notAKeyAtAll00000000000000000000000" + Keys.ENTER);
        assertThat(waitForText(By.id("err-key"), "not valid")).contains("not valid");
        type(By.id("f-key"), TestServer.ADMIN_KEY + Keys.ENTER);
        waitForText(By.cssSelector("main h1"), "Overview");
        go("#/audit?action=console.login_failed");
        waitForText(By.cssSelector("main caption"), "Audit entries");
        String failed = driver.findElement(By.cssSelector("main table")).getText();
        assertThat(failed).contains("console.login_failed", "anonymous", "127.0.0.1").doesNotContain("hk_notAKeyAtAll");
        shot("34-audit-failed-login");
        go("#/audit?action=console.login");
        waitForText(By.cssSelector("main table"), "console.login");
        assertThat(driver.findElement(By.cssSelector("main table")).getText()).contains("configured", "127.0.0.1");
        shot("35-audit-login");
        logOut();
        assertThat(server.get("/v1/audit?action=console.logout").json().get("data").findValuesAsText("client_address")).contains("127.0.0.1");
    }

    /**
     * A pending delivery whose endpoint's breaker is open does not show a next attempt in the past: it says it waits for
     * the breaker and when the next probe goes.
     */
    @Test
    @Order(32)
    void aDeliveryHeldByAnOpenBreakerSaysWhenItWillReallyGo() {
        assertThat(server.put("/v1/merchants/mBrk", "{\"name\": \"Breaker shop\"}").status()).isEqualTo(201);
        answer.set(500);
        try {
            String ep = server.createEndpoint(Map.of("name", "flaky", "url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/flaky",
                    "events", List.of("brk.held"), "merchant_id", "mBrk", "retry_attempts", 8, "retry_schedule", List.of("1s"))).get("id").asText();
            for (int i = 0; i < 7; i++) {
                assertThat(server.postJson("/v1/events", Map.of("event", "brk.held", "merchant_id", "mBrk")).status()).isEqualTo(202);
            }
            new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> "open".equals(server.get("/v1/endpoints/" + ep).json().get("circuit").get("state").asText()));
            String held = new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> {
                for (JsonNode x : server.get("/v1/deliveries?status=pending&endpoint_id=" + ep).json().get("data")) {
                    if (!x.get("next_attempt_at").isNull() && java.time.Instant.parse(x.get("next_attempt_at").asText()).isBefore(java.time.Instant.now())) {
                        return x.get("id").asText();
                    }
                }
                return null;
            });
            freshLogin(TestServer.ADMIN_KEY);
            go("#/deliveries/" + held);
            String next = waitForText(By.cssSelector("dl.facts"), "next probe at");
            assertThat(next).contains("Waiting for the endpoint's breaker");
            String probe = (String) ((JavascriptExecutor) driver).executeScript("return [...document.querySelectorAll('dl.facts dt')]"
                    + ".find(dt => dt.textContent === 'Next attempt').nextElementSibling.querySelector('time').getAttribute('datetime')");
            java.time.Instant at = java.time.Instant.parse(probe);
            assertThat(at).as("the next probe is ahead, not in the past").isAfter(java.time.Instant.now().minusSeconds(2));
            shot("36-delivery-held-by-open-breaker");
            logOut();
        } finally {
            answer.set(200);
        }
    }

    /**
     * The catalog page lists every type (version, description, who sends it); a type's page shows its schema as a field
     * list and as JSON, and its example; the operator's change with a schema the API refuses shows the problem at the
     * schema field, a version going down at the version field, and a good change is saved as typed and audited.
     */
    @Test
    @Order(40)
    void anOperatorReadsTheCatalogAndChangesATypeAfterItsErrorsAreShownAtTheirFields() {
        JsonNode catalog = server.get("/v1/event-types").json().get("data");
        freshLogin(TestServer.ADMIN_KEY);
        click(By.linkText("Event types"));
        waitForText(By.cssSelector("main caption"), "Event types (" + catalog.size() + ")");
        WebElement list = driver.findElement(By.cssSelector("main table"));
        assertThat(list.findElements(By.cssSelector("tbody tr"))).hasSize(catalog.size());
        WebElement completed = list.findElement(By.xpath(".//tr[td//a[text()='transfer.completed']]"));
        assertThat(completed.findElement(By.cssSelector("td[data-label=Version]")).getText()).isEqualTo("1");
        assertThat(completed.findElement(By.cssSelector("td[data-label=Description]")).getText()).isEqualTo("A transfer was executed; money moved.");
        assertThat(completed.findElement(By.cssSelector("td[data-label='Sent by']")).getText()).isEqualTo("producers");
        assertThat(list.findElement(By.xpath(".//tr[td//a[text()='webhook.test']]/td[@data-label='Sent by']")).getText()).isEqualTo("Herald");
        assertNoWordIsBroken("main table td[data-label=Type]");
        shot("40-event-types");

        completed.findElement(By.linkText("transfer.completed")).click();
        waitForText(By.cssSelector("main h1"), "transfer.completed");
        assertThat(driver.findElement(By.cssSelector("dl.facts")).getText()).contains("Version\n1", "A transfer was executed; money moved.");
        WebElement fields = driver.findElement(By.cssSelector(".schema-view table"));
        WebElement amount = fields.findElement(By.xpath(".//tr[td//code[text()='amount']]"));
        assertThat(amount.getText()).contains("integer", "Amount in minor units", "≥ 1").doesNotContain("optional");
        assertThat(fields.findElement(By.xpath(".//tr[td//code[text()='currency']]")).getText()).contains("matches ^[A-Z]{3}$");
        assertThat(driver.findElement(By.cssSelector(".schema-summary")).getText()).contains("required unless marked optional", "no fields beyond those listed");
        click(By.xpath("//details[contains(@class,'schema-json')]/summary"));
        assertThat(waitFor(By.cssSelector("pre.schema-text")).getText()).contains("\"$schema\": \"https://json-schema.org/draft/2020-12/schema\"",
                "\"minimum\": 1");
        assertThat(driver.findElement(By.cssSelector("pre.example-text")).getText()).contains("\"amount\": 1050", "\"currency\": \"EUR\"");
        ((JavascriptExecutor) driver).executeScript("window.scrollTo(0, 0)");
        shot("41-event-type-detail");

        // a schema the API refuses: the problem is shown at the schema field, which takes the focus
        WebElement schema = driver.findElement(By.id("f-schema"));
        ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", schema);
        type(By.id("f-schema"), "{\"type\": \"objekt\"}");
        click(By.xpath("//button[text()='Save transfer.completed']"));
        assertThat(waitForNonEmpty(By.id("err-schema"))).contains("not a valid JSON Schema");
        assertThat(driver.findElement(By.id("f-schema")).getAttribute("aria-invalid")).isEqualTo("true");
        assertThat(driver.switchTo().activeElement().getAttribute("id")).isEqualTo("f-schema");
        assertThat(driver.findElement(By.id("err-example")).getText()).isEmpty();
        shot("42-event-type-edit-error");
        type(By.id("f-schema"), "{\"type\": \"object\"");
        click(By.xpath("//button[text()='Save transfer.completed']"));
        assertThat(waitForNonEmpty(By.id("err-schema"))).startsWith("This is not JSON");

        // a good change: one more optional field under the same version, typed with a number as written (12.50)
        com.fasterxml.jackson.databind.node.ObjectNode wider = (com.fasterxml.jackson.databind.node.ObjectNode) server.get("/v1/event-types/transfer.completed")
                .json().get("schema").deepCopy();
        ((com.fasterxml.jackson.databind.node.ObjectNode) wider.get("properties")).putObject("fee").put("type", "number");
        String widerText = wider.toString().replace("\"fee\":{\"type\":\"number\"}", "\"fee\":{\"type\":\"number\",\"maximum\":12.50}");
        type(By.id("f-schema"), widerText);
        type(By.id("f-version"), "0");
        click(By.xpath("//button[text()='Save transfer.completed']"));
        assertThat(waitForNonEmpty(By.id("err-version"))).contains("version");
        assertThat(driver.findElement(By.id("err-schema")).getText()).as("the earlier error is cleared").isEmpty();
        type(By.id("f-version"), "1");
        type(By.id("f-description"), "A transfer was executed; money moved (with its fee).");
        click(By.xpath("//button[text()='Save transfer.completed']"));
        waitForText(By.id("notice"), "Saved: transfer.completed, version 1.");
        waitForText(By.cssSelector("dl.facts"), "(with its fee)");
        JsonNode saved = server.get("/v1/event-types/transfer.completed").json();
        assertThat(saved.get("description").asText()).isEqualTo("A transfer was executed; money moved (with its fee).");
        assertThat(saved.get("schema").get("properties").get("fee").get("type").asText()).isEqualTo("number");
        assertThat(saved.get("version").asInt()).isEqualTo(1);
        assertThat(driver.findElement(By.xpath("//div[contains(@class,'schema-view')]//tr[td//code[text()='fee']]")).getText())
                .contains("number", "≤ 12.5", "optional");
        assertThat(server.get("/v1/audit?action=event_type.update&target=transfer.completed").json().get("data")).hasSize(1);

        // a new type: an example its schema refuses is shown at the example field, then the type is added
        go("#/event-types");
        waitForText(By.cssSelector("main caption"), "Event types (" + catalog.size() + ")");
        type(By.id("f-type"), "payment.settled");
        type(By.id("f-description"), "A card payment settled.");
        type(By.id("f-schema"), "{\"type\": \"object\", \"properties\": {\"amount\": {\"type\": \"number\"}}, \"required\": [\"amount\"]}");
        type(By.id("f-example"), "{\"amount\": \"ten\"}");
        click(By.xpath("//button[text()='Add event type']"));
        assertThat(waitForNonEmpty(By.id("err-example"))).contains("does not match");
        assertThat(driver.findElement(By.id("f-example")).getAttribute("aria-invalid")).isEqualTo("true");
        ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", driver.findElement(By.id("f-schema")));
        shot("42b-event-type-new-example-error");
        type(By.id("f-example"), "{\"amount\": 12.30}");
        click(By.xpath("//button[text()='Add event type']"));
        waitForText(By.cssSelector("main h1"), "payment.settled");
        waitForText(By.id("notice"), "Added payment.settled.");
        assertThat(server.get("/v1/event-types/payment.settled").json().get("description").asText()).isEqualTo("A card payment settled.");
        assertThat(server.get("/v1/audit?action=event_type.create&target=payment.settled").json().get("data")).hasSize(1);
        logOut();
    }

    /** A merchant's key reads the catalog and a type's schema and example, with no form to change them. */
    @Test
    @Order(41)
    void aMerchantReadsTheCatalogWithoutAFormToChangeIt() {
        freshLogin(merchantKey);
        click(By.linkText("Event types"));
        waitForText(By.cssSelector("main caption"), "Event types (");
        assertThat(driver.findElement(By.cssSelector("main table")).getText()).contains("account.created", "transfer.completed", "webhook.test");
        assertThat(driver.findElements(By.cssSelector("main form"))).as("no form to add a type").isEmpty();
        shot("45-merchant-event-types");
        click(By.linkText("account.created"));
        waitForText(By.cssSelector("main h1"), "account.created");
        waitFor(By.cssSelector(".schema-view table"));
        assertThat(driver.findElement(By.cssSelector("pre.example-text")).getText()).contains("account_uuid");
        assertThat(driver.findElements(By.cssSelector("main form"))).as("no form to change it").isEmpty();
        assertThat(driver.findElements(By.id("f-schema"))).isEmpty();
        shot("45b-merchant-event-type-detail");
        driver.manage().window().setSize(new Dimension(390, 844));
        try {
            go("#/event-types/transfer.completed");
            waitForText(By.cssSelector("main h1"), "transfer.completed");
            WebElement table = waitFor(By.cssSelector(".schema-view table"));
            assertThat(table.getSize().getWidth()).as("no wider than the phone").isLessThanOrEqualTo(390);
            assertNothingScrollsSideways();
            ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", table);
            shot("46-phone-event-type-detail");
        } finally {
            driver.manage().window().setSize(new Dimension(1280, 900));
        }
        logOut();
    }

    /**
     * The endpoint form picks its events from the catalog: two ticked types are exactly the endpoint's events; on edit
     * they show ticked, a group's "prefix.*" ticks and locks its types, and a pattern typed by hand is kept beside them.
     */
    @Test
    @Order(42)
    void anEndpointsEventsArePickedFromTheCatalogAndShownTickedOnEdit() {
        freshLogin(TestServer.ADMIN_KEY);
        go("#/endpoints/new");
        waitFor(By.id("events-picker"));
        assertThat(driver.findElement(By.id("ev-all")).isSelected()).as("every event, as before, until untick").isTrue();
        assertThat(driver.findElement(By.id("ev-transfer.completed")).isEnabled()).isFalse();
        assertThat(driver.findElements(By.cssSelector("fieldset.ev-group legend"))).extracting(WebElement::getText)
                .contains("account.*", "transfer.*", "risk.*");
        type(By.id("f-name"), "picked");
        type(By.id("f-url"), "http://127.0.0.1:" + receiver.getAddress().getPort() + "/picked");
        type(By.id("f-merchant_id"), "mA");
        click(By.id("ev-all"));
        click(By.id("ev-transfer.completed"));
        driver.findElement(By.id("ev-account.created")).sendKeys(Keys.SPACE); // by keyboard
        assertThat(driver.findElement(By.id("ev-transfer.failed")).isSelected()).isFalse();
        ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", driver.findElement(By.id("events-picker")));
        shot("43-endpoint-form-catalog-picker");
        click(By.cssSelector("form.edit button[type=submit]"));
        waitFor(By.id("secret-once"));
        click(By.linkText("Go to the endpoint"));
        waitForText(By.cssSelector("main h1"), "picked");
        String id = driver.findElement(By.cssSelector("dl.facts dd")).getText();
        assertThat(eventsOf(id)).containsExactlyInAnyOrder("transfer.completed", "account.created");

        go("#/endpoints/" + id + "/edit");
        waitFor(By.id("events-picker"));
        assertThat(driver.findElement(By.id("ev-all")).isSelected()).isFalse();
        assertThat(driver.findElement(By.id("ev-transfer.completed")).isSelected()).isTrue();
        assertThat(driver.findElement(By.id("ev-account.created")).isSelected()).isTrue();
        assertThat(driver.findElement(By.id("ev-account.closed")).isSelected()).isFalse();
        assertThat(driver.findElement(By.id("f-events")).getAttribute("value")).isEmpty();
        click(By.id("ev-risk-all"));
        assertThat(driver.findElement(By.id("ev-risk.alert")).isSelected()).as("the group ticks what it covers").isTrue();
        assertThat(driver.findElement(By.id("ev-risk.alert")).isEnabled()).isFalse();
        type(By.id("f-events"), "card.*, Not A Pattern");
        click(By.cssSelector("form.edit button[type=submit]"));
        assertThat(waitForNonEmpty(By.id("err-events"))).contains("Not A Pattern");
        assertThat(driver.switchTo().activeElement().getAttribute("id")).isEqualTo("f-events");
        type(By.id("f-events"), "card.*");
        click(By.cssSelector("form.edit button[type=submit]"));
        waitForText(By.id("notice"), "Saved.");
        assertThat(eventsOf(id)).containsExactlyInAnyOrder("transfer.completed", "account.created", "risk.*", "card.*");
        go("#/endpoints/" + id + "/edit");
        waitFor(By.id("events-picker"));
        assertThat(driver.findElement(By.id("ev-risk-all")).isSelected()).isTrue();
        assertThat(driver.findElement(By.id("f-events")).getAttribute("value")).isEqualTo("card.*");
        driver.manage().window().setSize(new Dimension(390, 844));
        try {
            go("#/endpoints/new");
            WebElement picker = waitFor(By.id("events-picker"));
            assertThat(picker.getSize().getWidth()).isLessThanOrEqualTo(390);
            assertNothingScrollsSideways();
            ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", picker);
            shot("47-phone-endpoint-form-catalog-picker");
        } finally {
            driver.manage().window().setSize(new Dimension(1280, 900));
        }
        logOut();
    }

    /**
     * A delivery's page (and its event's) shows the data as posted beside its type's schema: side by side on a wide
     * screen, stacked on a phone; a field the schema does not allow is named, and numbers keep their digits.
     */
    @Test
    @Order(43)
    void aDeliveryShowsItsDataBesideItsTypesSchema() {
        answer.set(200);
        String ep = server.createEndpoint(Map.of("name", "beside", "url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/beside",
                "events", List.of("account.frozen"), "merchant_id", "mA")).get("id").asText();
        JsonNode example = server.get("/v1/event-types/account.frozen").json().get("example");
        String data = example.toString().replaceFirst("\\}$", ", \"bonus\": 10.50}");
        var posted = server.post("/v1/events", "{\"event\": \"account.frozen\", \"merchant_id\": \"mA\", \"data\": " + data + "}");
        assertThat(posted.status()).isEqualTo(202);
        assertThat(posted.body()).as("warned, not refused").contains("bonus");
        String delivery = new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> {
            JsonNode rows = server.get("/v1/deliveries?endpoint_id=" + ep).json().get("data");
            return rows.isEmpty() ? null : rows.get(0).get("id").asText();
        });
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(d -> "delivered".equals(server.get("/v1/deliveries/" + delivery).json().get("status").asText()));
        freshLogin(TestServer.ADMIN_KEY);
        go("#/deliveries/" + delivery);
        waitForText(By.cssSelector("main h1"), "Delivery " + delivery);
        WebElement beside = waitFor(By.id("payload-beside"));
        String shownData = driver.findElement(By.id("event-data")).getText();
        assertThat(shownData).contains("\"bonus\": 10.50", "\"account_uuid\": ").doesNotContain("10.5\n");
        assertThat(beside.findElement(By.cssSelector(".schema-check")).getText()).contains("Not in the schema", "bonus");
        assertThat(beside.findElement(By.cssSelector(".beside-schema")).getText()).contains("account.frozen", "version 1", "account_uuid", "required unless marked optional");
        WebElement left = beside.findElement(By.cssSelector(".beside-data"));
        WebElement right = beside.findElement(By.cssSelector(".beside-schema"));
        assertThat(right.getLocation().getX()).as("side by side").isGreaterThan(left.getLocation().getX() + left.getSize().getWidth() - 1);
        assertThat(right.getLocation().getY()).isEqualTo(left.getLocation().getY());
        ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", beside);
        shot("44-delivery-payload-beside-schema");
        go("#/events/" + posted.json().get("id").asText());
        waitForText(By.cssSelector("main h1"), "Event " + posted.json().get("id").asText());
        assertThat(waitFor(By.cssSelector("#payload-beside #event-data")).getText()).isEqualTo(shownData);
        driver.manage().window().setSize(new Dimension(390, 844));
        try {
            go("#/deliveries/" + delivery);
            waitForText(By.cssSelector("main h1"), "Delivery " + delivery);
            beside = waitFor(By.id("payload-beside"));
            left = beside.findElement(By.cssSelector(".beside-data"));
            right = beside.findElement(By.cssSelector(".beside-schema"));
            assertThat(right.getLocation().getY()).as("stacked").isGreaterThanOrEqualTo(left.getLocation().getY() + left.getSize().getHeight());
            assertNothingScrollsSideways();
            ((JavascriptExecutor) driver).executeScript("arguments[0].scrollIntoView()", beside);
            shot("44b-phone-delivery-payload-beside-schema");
        } finally {
            driver.manage().window().setSize(new Dimension(1280, 900));
        }
        logOut();
    }

    private static List<String> eventsOf(String endpoint) {
        List<String> out = new java.util.ArrayList<>();
        server.get("/v1/endpoints/" + endpoint).json().get("events").forEach(e -> out.add(e.asText()));
        return out;
    }

    /** The page is no wider than the window (nothing scrolls sideways); else names the elements that stick out. */
    @SuppressWarnings("unchecked")
    private static void assertNothingScrollsSideways() {
        List<String> out = (List<String>) ((JavascriptExecutor) driver).executeScript("const w = document.documentElement.clientWidth;"
                + " if (document.documentElement.scrollWidth <= w) return [];"
                + " return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 0.5"
                + " && ![...e.children].some(c => c.getBoundingClientRect().right > w + 0.5))"
                + ".slice(0, 8).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right) + ': '"
                + " + e.textContent.slice(0, 60))");
        assertThat(out).as("elements wider than the window").isEmpty();
    }

    /** Every axis label of the overview's charts is drawn at 12 px or more. */
    private static void assertChartLabelsAreReadable() {
        @SuppressWarnings("unchecked")
        List<Number> sizes = (List<Number>) ((JavascriptExecutor) driver).executeScript("return [...document.querySelectorAll("
                + "'figure.chart text, figure.chart .axis-label')].map(e => e instanceof SVGElement ? e.getBoundingClientRect().height"
                + " : parseFloat(getComputedStyle(e).fontSize))");
        assertThat(sizes).hasSizeGreaterThanOrEqualTo(16);
        assertThat(sizes).allSatisfy(v -> assertThat(v.doubleValue()).as("label size in px").isGreaterThanOrEqualTo(12));
    }

    /** Every cell {@code css} selects shows its words whole: a word is never split across lines. */
    private static void assertNoWordIsBroken(String css) {
        @SuppressWarnings("unchecked")
        List<String> broken = (List<String>) ((JavascriptExecutor) driver).executeScript("return [...document.querySelectorAll(arguments[0])]"
                + ".filter(td => { const words = td.textContent.trim().split(/\\s+/).length;"
                + " const r = document.createRange(); r.selectNodeContents(td);"
                + " return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > words; }).map(td => td.textContent)", css);
        assertThat(broken).as("cells with a word split across lines").isEmpty();
    }

    /** A browser without a session logs in with {@code key} by keyboard and waits for the overview. */
    private static void freshLogin(String key) {
        driver.manage().deleteAllCookies();
        open("/console");
        type(By.id("f-key"), key + Keys.ENTER);
        waitForText(By.cssSelector("main h1"), "Overview");
    }

    private static void assertSessionIsOnlyAnHttpOnlyCookie() {
        Cookie c = driver.manage().getCookieNamed("herald_session");
        assertThat(c).isNotNull();
        assertThat(c.isHttpOnly()).isTrue();
        assertThat(c.getSameSite()).isEqualTo("Strict");
        JavascriptExecutor js = (JavascriptExecutor) driver;
        assertThat((String) js.executeScript("return document.cookie")).doesNotContain("herald_session");
        assertThat((Long) js.executeScript("return localStorage.length + sessionStorage.length")).isZero();
        assertThat(driver.getPageSource()).doesNotContain(TestServer.ADMIN_KEY);
    }

    private static void logOut() {
        click(By.id("logout"));
        waitForText(By.cssSelector("form.login"), "logged out");
        assertThat(driver.manage().getCookieNamed("herald_session")).isNull();
        assertThat(driver.findElement(By.id("logout")).isDisplayed()).as("no Log out on the login page").isFalse();
        shot("99-logged-out");
    }

    private static void open(String path) {
        driver.get("http://127.0.0.1:" + server.port() + path);
    }

    private static void go(String hash) {
        ((JavascriptExecutor) driver).executeScript("location.hash = arguments[0]", hash);
    }

    private static WebElement waitFor(By by) {
        return new WebDriverWait(driver, Duration.ofSeconds(20)).until(ExpectedConditions.visibilityOfElementLocated(by));
    }

    private static String waitForText(By by, String text) {
        new WebDriverWait(driver, Duration.ofSeconds(30)).until(ExpectedConditions.textToBePresentInElementLocated(by, text));
        return driver.findElement(by).getText();
    }

    private static String waitForNonEmpty(By by) {
        return new WebDriverWait(driver, Duration.ofSeconds(20)).until(d -> {
            String t = d.findElement(by).getText();
            return t.isBlank() ? null : t;
        });
    }

    private static void click(By by) {
        new WebDriverWait(driver, Duration.ofSeconds(20)).until(ExpectedConditions.elementToBeClickable(by)).click();
    }

    private static void type(By by, String text) {
        WebElement e = waitFor(by);
        e.clear();
        e.sendKeys(text);
    }

    private static void shot(String name) {
        File f = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        try {
            Files.copy(f.toPath(), SHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
