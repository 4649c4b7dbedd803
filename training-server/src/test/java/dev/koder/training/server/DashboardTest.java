package dev.koder.training.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.koder.training.api.AccessKeys;
import dev.koder.training.api.Checkpoint;
import dev.koder.training.api.CheckpointQuery;
import dev.koder.training.api.CheckpointStage;
import dev.koder.training.api.DatasetFormat;
import dev.koder.training.api.DatasetRef;
import dev.koder.training.api.Hyperparameters;
import dev.koder.training.api.Job;
import dev.koder.training.api.JobSpec;
import dev.koder.training.api.JobStatus;
import dev.koder.training.api.Resources;
import dev.koder.training.api.Tier;
import dev.koder.training.api.TrainingMethod;
import dev.koder.training.core.Training;
import dev.koder.training.sqlite.SqliteAccess;
import dev.koder.training.tck.ScriptedRunner;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
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
 * The dashboard in a real headless Chromium (Debian's chromium and chromium-driver, driven by Selenium): a
 * tenant's jobs with status and progress, a job's loss curve, events and checkpoints, and approve for an
 * approver's key only. Screenshots are kept in target/screenshots.
 */
class DashboardTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = Path.of("target/screenshots");

    @TempDir
    Path dir;

    WebDriver browser() {
        assertThat(CHROMIUM).as("Chromium is needed: apt-get install chromium chromium-driver (.ci/run does)")
                .isExecutable();
        assertThat(CHROMEDRIVER).as("chromedriver is needed: apt-get install chromium-driver (.ci/run does)")
                .isExecutable();
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile()).addArguments("--headless=new",
                "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000", "--user-data-dir="
                        + dir.resolve("chromium-profile"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    void shot(WebDriver driver, String name) throws Exception {
        Files.createDirectories(SHOTS);
        File png = ((TakesScreenshot) driver).getScreenshotAs(OutputType.FILE);
        Files.copy(png.toPath(), SHOTS.resolve(name + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void anApproverSeesJobsCurvesEventsAndCheckpoints_andApprovesFromThePage() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, ServerApiTest.CHAT.repeat(8));
        try (Training training = Training.builder().home(dir.resolve("home")).property("training.models.roots", dir.toString()).runner(new ScriptedRunner("fake",
                ScriptedRunner.allMethods())).pollInterval(Duration.ofMillis(50)).build();
                TrainingServer server = TrainingServer.builder(training).port(0).start()) {
            String approver;
            String member;
            try (SqliteAccess access = SqliteAccess.open(training.home())) {
                approver = access.create("acme", AccessKeys.Role.APPROVER, "carol", Tier.PRO).key();
                member = access.create("acme", AccessKeys.Role.MEMBER, "alice", null).key();
                access.create("globex", AccessKeys.Role.MEMBER, null, null);
            }
            JobSpec spec = JobSpec.builder().name("shout").tenant("acme").tier(Tier.PRO).baseModel(model.toString())
                    .method(TrainingMethod.sftLora()).hyperparameters(Hyperparameters.builder().maxSteps(12).build())
                    .trainingData(DatasetRef.of(data, DatasetFormat.CHAT)).resources(Resources.cpu())
                    .metadata("fake.step_seconds", "0.05").metadata("fake.retrieval", "true").build();
            Job done = training.jobs().await(training.jobs().submit(spec).id(), Duration.ofSeconds(60));
            assertThat(done.status()).isEqualTo(JobStatus.SUCCEEDED);
            training.jobs().submit(spec.toBuilder().tenant("globex").build());

            WebDriver driver = browser();
            try {
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
                driver.get("http://127.0.0.1:" + server.port() + "/");
                driver.findElement(By.id("key")).sendKeys(approver);
                driver.findElement(By.id("use-key")).click();
                wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-job='" + done.id()
                        + "']")));
                assertThat(driver.findElement(By.id("who")).getText()).isEqualTo("acme (pro) as carol, approver");
                List<WebElement> rows = driver.findElements(By.cssSelector("#jobs tbody tr"));
                assertThat(rows).as("only the tenant's jobs").hasSize(1);
                assertThat(rows.get(0).getText()).contains(done.id()).contains("succeeded").contains("step 12/12 (100%)");
                shot(driver, "dashboard-jobs");

                driver.findElement(By.cssSelector("tr[data-job='" + done.id() + "'] a")).click();
                wait.until(ExpectedConditions.presenceOfElementLocated(By.id("loss-line")));
                String points = driver.findElement(By.id("loss-line")).getAttribute("points");
                assertThat(points.split(" ")).as("one point a logged step").hasSizeGreaterThan(5);
                assertThat(driver.findElements(By.cssSelector("#events li"))).hasSizeGreaterThan(5);
                assertThat(driver.findElement(By.id("events")).getText()).contains("submitted by acme");
                // the last evaluation beside the base model's, with the gain
                assertThat(driver.findElement(By.cssSelector("#evaluation tr[data-metric='eval_ndcg_at_10']"))
                        .getText()).isEqualTo("eval_ndcg_at_10 0.1000 0.7000 +0.6000");
                wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#checkpoints tbody tr")));
                Checkpoint output = training.checkpoints().list(CheckpointQuery.builder().jobId(done.id()).build())
                        .items().stream().filter(Checkpoint::last).findFirst().orElseThrow();
                WebElement row = driver.findElement(By.cssSelector("tr[data-checkpoint='" + output.id() + "']"));
                assertThat(row.getText()).contains("final").contains("draft");
                shot(driver, "dashboard-job");

                row.findElement(By.cssSelector("input.reason")).sendKeys("beats the baseline");
                row.findElement(By.cssSelector("button.move-approve")).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(
                        "tr[data-checkpoint='" + output.id() + "'] td.stage"), "approved"));
                assertThat(training.checkpoints().get(output.id()).stage()).isEqualTo(CheckpointStage.APPROVED);
                assertThat(training.checkpoints().history(output.id())).last().satisfies(t -> {
                    assertThat(t.actor()).isEqualTo("carol");
                    assertThat(t.reason()).isEqualTo("beats the baseline");
                });
                shot(driver, "dashboard-approved");

                driver.findElement(By.id("key")).sendKeys(member);
                driver.findElement(By.id("use-key")).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "alice, member"));
                assertThat(driver.findElement(By.id("job")).isDisplayed()).as("another key's view starts over")
                        .isFalse();
                wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("tr[data-job='" + done.id()
                        + "'] a"))).click();
                wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#checkpoints tbody tr")));
                assertThat(driver.findElement(By.cssSelector("tr[data-checkpoint='" + output.id() + "']")).getText())
                        .contains("approved");
                assertThat(driver.findElements(By.cssSelector("#checkpoints button"))).as("no moves for a member")
                        .isEmpty();
            } finally {
                driver.quit();
            }
        }
    }

    @Test
    void theApproveButton_saysWhyTheGateRefuses_theNewestEvaluationShows_andAnAdminApprovesAnyway() throws Exception {
        Path model = Files.createDirectories(dir.resolve("model"));
        Files.writeString(model.resolve("config.json"), "{\"model_type\":\"llama\"}");
        Path data = dir.resolve("train.jsonl");
        Files.writeString(data, ServerApiTest.CHAT.repeat(8));
        Path heldOut = Files.writeString(dir.resolve("held-out.jsonl"), ServerApiTest.CHAT.repeat(2));
        // the scripted checkpoints hold no real weights: this stands in for the scorer (the real one is runner-trl's
        // EvaluationOnDemandTest); what is under test is what the page shows of it
        dev.koder.training.spi.CheckpointEvaluator scorer = new dev.koder.training.spi.CheckpointEvaluator() {
            @Override
            public boolean supports(DatasetFormat format) {
                return format == DatasetFormat.CHAT;
            }

            @Override
            public Result evaluate(Request request, Path work, java.util.function.Consumer<String> lines) {
                return new Result(java.util.Map.of("eval_loss", 0.5), java.util.Map.of("eval_loss", 2.5), 2, "cpu");
            }
        };
        try (Training training = Training.builder().home(dir.resolve("home")).property("training.models.roots",
                dir.toString()).property("training.approval.tenant.acme.min.eval_ndcg_at_10", "0.9")
                .runner(new ScriptedRunner("fake", ScriptedRunner.allMethods()).evaluatedBy(scorer))
                .pollInterval(Duration.ofMillis(50)).build();
                TrainingServer server = TrainingServer.builder(training).port(0).start()) {
            String approver;
            String admin;
            try (SqliteAccess access = SqliteAccess.open(training.home())) {
                approver = access.create("acme", AccessKeys.Role.APPROVER, "carol", Tier.PRO).key();
                admin = access.create("acme", AccessKeys.Role.ADMIN, "root", null).key();
            }
            JobSpec spec = JobSpec.builder().name("shout").tenant("acme").tier(Tier.PRO).baseModel(model.toString())
                    .method(TrainingMethod.sftLora()).hyperparameters(Hyperparameters.builder().maxSteps(4).build())
                    .trainingData(DatasetRef.of(data, DatasetFormat.CHAT)).resources(Resources.cpu())
                    .metadata("fake.step_seconds", "0.05").metadata("fake.retrieval", "true").build();
            Job done = training.jobs().await(training.jobs().submit(spec).id(), Duration.ofSeconds(60));
            Checkpoint output = training.checkpoints().list(CheckpointQuery.builder().jobId(done.id()).build())
                    .items().stream().filter(Checkpoint::last).findFirst().orElseThrow();
            training.checkpoints().evaluate(output.id(), DatasetRef.of(heldOut, DatasetFormat.CHAT), "carol",
                    line -> { });
            training.checkpoints().export(output.id(), dir.resolve("served"), false, n -> { });
            String at = "tr[data-checkpoint='" + output.id() + "']";

            WebDriver driver = browser();
            try {
                WebDriverWait wait = new WebDriverWait(driver, Duration.ofSeconds(20));
                driver.get("http://127.0.0.1:" + server.port() + "/");
                driver.findElement(By.id("key")).sendKeys(approver);
                driver.findElement(By.id("use-key")).click();
                wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("tr[data-job='" + done.id()
                        + "'] a"))).click();
                wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(at)));
                WebElement row = driver.findElement(By.cssSelector(at));
                assertThat(row.findElement(By.cssSelector("td.evaluated")).getText())
                        .isEqualTo("eval_loss 0.5000 (base 2.5000) on held-out");
                assertThat(row.findElement(By.cssSelector("td.exported")).getText()).startsWith("adapter ")
                        .contains("(manifest ");
                assertThat(row.findElement(By.cssSelector("td.gate")).getText()).isEqualTo("refused");
                WebElement approve = row.findElement(By.cssSelector("button.move-approve"));
                assertThat(approve.isEnabled()).as("approve is off while the gate refuses").isFalse();
                assertThat(approve.getAttribute("title")).contains("min.eval_ndcg_at_10: eval_ndcg_at_10 0.7 < 0.9");
                assertThat(row.findElement(By.cssSelector(".why")).getText()).startsWith("Approve is refused: "
                        + "min.eval_ndcg_at_10");
                assertThat(row.findElements(By.cssSelector("button.move-override"))).as("only for an admin").isEmpty();
                shot(driver, "dashboard-gate-refused");

                driver.findElement(By.id("key")).sendKeys(admin);
                driver.findElement(By.id("use-key")).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("who"), "root, admin"));
                wait.until(ExpectedConditions.elementToBeClickable(By.cssSelector("tr[data-job='" + done.id()
                        + "'] a"))).click();
                wait.until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(at + " button.move-override")));
                row = driver.findElement(By.cssSelector(at));
                row.findElement(By.cssSelector("input.reason")).sendKeys("no retrieval set for this tenant");
                // the rows are drawn again (every 2 s while a job runs): what is being typed stays, with the focus and
                // the caret where the approver had put it (here after "no retrieval")
                ((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
                        "arguments[0].setSelectionRange(12, 12);", row.findElement(By.cssSelector("input.reason")));
                ((org.openqa.selenium.JavascriptExecutor) driver).executeAsyncScript(
                        "loadJob().then(arguments[arguments.length - 1]);");
                WebElement before = row;
                wait.until(ExpectedConditions.stalenessOf(before));
                row = driver.findElement(By.cssSelector(at));
                WebElement reason = row.findElement(By.cssSelector("input.reason"));
                assertThat(reason.getAttribute("value")).isEqualTo("no retrieval set for this tenant");
                assertThat(driver.switchTo().activeElement()).isEqualTo(reason);
                assertThat(((org.openqa.selenium.JavascriptExecutor) driver).executeScript(
                        "return [arguments[0].selectionStart, arguments[0].selectionEnd];", reason))
                        .isEqualTo(List.of(12L, 12L));
                reason.sendKeys(org.openqa.selenium.Keys.END, " yet");
                row.findElement(By.cssSelector("button.move-override")).click();
                wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector(at + " td.stage"),
                        "approved"));
                assertThat(training.checkpoints().history(output.id())).last().satisfies(t -> {
                    assertThat(t.actor()).isEqualTo("root");
                    assertThat(t.override()).isTrue();
                    assertThat(t.reason()).isEqualTo("no retrieval set for this tenant yet");
                });
            } finally {
                driver.quit();
            }
        }
    }
}
