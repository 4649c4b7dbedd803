package dev.koder.training.mlflow;

import dev.koder.training.spi.PluginConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * Where MLflow is and how to talk to it. From the service's properties ({@code training.mlflow.*}) and, for
 * credentials and TLS, MLflow's own environment variables, so a host already set up for the mlflow Python
 * client needs nothing new: {@code MLFLOW_TRACKING_TOKEN} (bearer), {@code MLFLOW_TRACKING_USERNAME} and
 * {@code MLFLOW_TRACKING_PASSWORD} (basic), {@code MLFLOW_TRACKING_SERVER_CERT_PATH} (a PEM file of CA
 * certificates to trust) and {@code MLFLOW_TRACKING_INSECURE_TLS=true} (trust any certificate).
 *
 * @param uri the tracking server, without a trailing slash
 * @param uiUri where people open the UI (default: {@code uri})
 * @param experiment experiment name; {@code {tenant}} is replaced by the job's tenant
 * @param modelName registered model name; {@code {tenant}} and {@code {base_model}} are replaced
 * @param authorization the Authorization header, if credentials are set
 * @param timeout connect and request timeout
 * @param maxParamLength the server's MAX_PARAM_VAL_LENGTH; longer param values are cut
 * @param sslContext TLS settings, when the environment asks for any
 */
record MlflowSettings(String uri, String uiUri, String experiment, String modelName, Optional<String> authorization,
        Duration timeout, int maxParamLength, Optional<SSLContext> sslContext) {

    static final String URI_PROPERTY = "training.mlflow.uri";
    static final String UI_PROPERTY = "training.mlflow.ui-uri";
    static final String EXPERIMENT_PROPERTY = "training.mlflow.experiment";
    static final String MODEL_PROPERTY = "training.mlflow.model-name";
    static final String TIMEOUT_PROPERTY = "training.mlflow.timeout-ms";
    static final String PARAM_LENGTH_PROPERTY = "training.mlflow.max-param-length";

    /** MLflow 2.x and 3.x: params up to 6000 characters. */
    static final int DEFAULT_PARAM_LENGTH = 6000;

    /**
     * @param config the service's configuration
     * @param env the environment (System.getenv() outside tests)
     * @return the settings, or empty when {@code training.mlflow.uri} is not set (tracking off)
     * @throws IllegalArgumentException naming the property or variable that is wrong
     */
    static Optional<MlflowSettings> from(PluginConfig config, Map<String, String> env) {
        String raw = config.get(URI_PROPERTY).map(String::strip).orElse("");
        if (raw.isEmpty()) {
            return Optional.empty();
        }
        String uri = checkUri(URI_PROPERTY, raw);
        String ui = config.get(UI_PROPERTY).map(String::strip).filter(s -> !s.isEmpty())
                .map(s -> checkUri(UI_PROPERTY, s)).orElse(uri);
        String experiment = config.get(EXPERIMENT_PROPERTY).map(String::strip).filter(s -> !s.isEmpty())
                .orElse("training/{tenant}");
        String model = config.get(MODEL_PROPERTY).map(String::strip).filter(s -> !s.isEmpty())
                .orElse("{tenant}.{base_model}");
        long timeoutMs = config.positive(TIMEOUT_PROPERTY, 10_000);
        int paramLength = (int) config.whole(PARAM_LENGTH_PROPERTY, DEFAULT_PARAM_LENGTH, 1, Integer.MAX_VALUE);
        return Optional.of(new MlflowSettings(uri, ui, experiment, model, authorization(env),
                Duration.ofMillis(timeoutMs), paramLength, ssl(env)));
    }

    private static String checkUri(String property, String value) {
        URI u;
        try {
            u = URI.create(value);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(property + " must be an http or https URL, got \"" + value + "\"");
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
            throw new IllegalArgumentException(property + " must be an http or https URL such as "
                    + "http://mlflow.internal:5000, got \"" + value + "\"");
        }
        return value.replaceAll("/+$", "");
    }

    private static Optional<String> authorization(Map<String, String> env) {
        String token = env.getOrDefault("MLFLOW_TRACKING_TOKEN", "");
        if (!token.isBlank()) {
            return Optional.of("Bearer " + token.strip());
        }
        String user = env.getOrDefault("MLFLOW_TRACKING_USERNAME", "");
        String password = env.getOrDefault("MLFLOW_TRACKING_PASSWORD", "");
        if (!user.isEmpty() || !password.isEmpty()) {
            if (user.isEmpty() || password.isEmpty()) {
                throw new IllegalArgumentException("set both MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD "
                        + "for basic authentication, or neither");
            }
            return Optional.of("Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                    .getBytes(StandardCharsets.UTF_8)));
        }
        return Optional.empty();
    }

    private static Optional<SSLContext> ssl(Map<String, String> env) {
        try {
            if (env.getOrDefault("MLFLOW_TRACKING_INSECURE_TLS", "").equalsIgnoreCase("true")) {
                SSLContext c = SSLContext.getInstance("TLS");
                c.init(null, new TrustManager[] {new TrustAll()}, new SecureRandom());
                return Optional.of(c);
            }
            String certs = env.getOrDefault("MLFLOW_TRACKING_SERVER_CERT_PATH", "");
            if (!certs.isBlank()) {
                KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
                store.load(null, null);
                try (InputStream in = Files.newInputStream(Path.of(certs.strip()))) {
                    int i = 0;
                    for (Certificate cert : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        store.setCertificateEntry("ca-" + i++, cert);
                    }
                    if (i == 0) {
                        throw new IllegalArgumentException("MLFLOW_TRACKING_SERVER_CERT_PATH (" + certs
                                + ") holds no PEM certificate");
                    }
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(store);
                SSLContext c = SSLContext.getInstance("TLS");
                c.init(null, tmf.getTrustManagers(), new SecureRandom());
                return Optional.of(c);
            }
            return Optional.empty();
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS for MLflow from MLFLOW_TRACKING_SERVER_CERT_PATH: "
                    + e.getMessage(), e);
        }
    }

    /** MLFLOW_TRACKING_INSECURE_TLS=true: the user asked to skip certificate checks, as the Python client does. */
    private static final class TrustAll implements X509TrustManager {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {
            // trusts everything on purpose: MLFLOW_TRACKING_INSECURE_TLS=true
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {
            // trusts everything on purpose: MLFLOW_TRACKING_INSECURE_TLS=true
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return new X509Certificate[0];
        }
    }
}
