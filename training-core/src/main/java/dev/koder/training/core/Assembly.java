package dev.koder.training.core;

import dev.koder.training.spi.AccessKeyStore;
import dev.koder.training.spi.AccessKeyStoreProvider;
import dev.koder.training.spi.BlobStore;
import dev.koder.training.spi.BlobStoreProvider;
import dev.koder.training.spi.CheckpointStore;
import dev.koder.training.spi.CheckpointStoreProvider;
import dev.koder.training.spi.Executor;
import dev.koder.training.spi.ExecutorProvider;
import dev.koder.training.spi.FileStore;
import dev.koder.training.spi.FileStoreProvider;
import dev.koder.training.spi.GpuInventory;
import dev.koder.training.spi.GpuInventoryProvider;
import dev.koder.training.spi.JobScheduler;
import dev.koder.training.spi.JobSchedulerProvider;
import dev.koder.training.spi.JobStore;
import dev.koder.training.spi.JobStoreProvider;
import dev.koder.training.spi.OutboxStore;
import dev.koder.training.spi.OutboxStoreProvider;
import dev.koder.training.spi.PluginConfig;
import dev.koder.training.spi.Provider;
import dev.koder.training.spi.QuotaLedger;
import dev.koder.training.spi.QuotaLedgerProvider;
import dev.koder.training.spi.RegistryListener;
import dev.koder.training.spi.RegistryListenerProvider;
import dev.koder.training.spi.TrackingSink;
import dev.koder.training.spi.TrackingSinkProvider;
import dev.koder.training.spi.TrackingStateStore;
import dev.koder.training.spi.TrackingStateStoreProvider;
import dev.koder.training.spi.TrainingRunner;
import dev.koder.training.spi.TrainingRunnerProvider;
import dev.koder.training.spi.UsageSink;
import dev.koder.training.spi.UsageSinkProvider;
import dev.koder.training.spi.WorkerLease;
import dev.koder.training.spi.WorkerLeaseProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The plugins a service is made of: what the builder passed, then what {@link java.util.ServiceLoader} finds, each
 * kind chosen by its property ({@link Plugins}). The parts of the store (quotas, registry, keys, files, tracking
 * state, outboxes, lease) follow the job store's name unless a property names them ({@link #storePart}). Made before
 * anything starts, so a missing or ambiguous plugin fails the build of the service with its own message.
 */
final class Assembly {

    private static final String STORES = "dev.koder.training:store-sqlite";

    final JobStore store;
    final Plugins<TrainingRunner> runners;
    final Plugins<Executor> executors;
    final List<TrackingSink> tracking;
    final List<UsageSink> usage;
    final QuotaLedger ledger;
    /** The GPU inventory, or null when none is installed. */
    final GpuInventory inventory;
    final JobScheduler scheduler;
    final BlobStore blobs;
    final CheckpointStore checkpoints;
    final FileStore files;
    final AccessKeyStore keys;
    final TrackingStateStore trackingState;
    final OutboxStore outbox;
    final List<RegistryListener> registryListeners;

    private final TrainingHome home;
    private final Training.Builder b;

    Assembly(TrainingHome home, Training.Builder b) {
        this.home = home;
        this.b = b;
        PluginConfig config = home.config;
        this.store = new Plugins<>("job store", STORES, Training.STORE_PROPERTY, JobStoreProvider.class, b.stores,
                s -> "explicit", config, b.discover).chosen();
        this.runners = new Plugins<>("training runner", "dev.koder.training:runner-trl", Training.RUNNER_PROPERTY,
                TrainingRunnerProvider.class, b.runners, TrainingRunner::name, config, b.discover);
        this.executors = new Plugins<>("executor", "dev.koder.training:training-core", Training.EXECUTOR_PROPERTY,
                ExecutorProvider.class, b.executors, Executor::name, config, b.discover);
        this.tracking = new ArrayList<>(b.tracking);
        this.usage = new ArrayList<>(b.usage);
        List<RegistryListener> listeners = new ArrayList<>(b.registryListeners);
        if (b.discover) {
            tracking.addAll(all("tracking sink", TrackingSinkProvider.class));
            usage.addAll(all("usage sink", UsageSinkProvider.class));
            listeners.addAll(all("registry listener", RegistryListenerProvider.class));
        }
        this.registryListeners = List.copyOf(listeners);
        this.ledger = storePart("quota ledger", Training.QUOTA_PROPERTY, QuotaLedgerProvider.class, b.ledgers);
        Plugins<GpuInventory> inventories = new Plugins<>("GPU inventory", "dev.koder.training:scheduler-gpu",
                Training.INVENTORY_PROPERTY, GpuInventoryProvider.class, b.inventories, GpuInventory::name, config,
                b.discover);
        this.inventory = inventories.names().isEmpty() ? null : inventories.chosen();
        this.scheduler = new Plugins<>("job scheduler", "dev.koder.training:scheduler-gpu",
                Training.SCHEDULER_PROPERTY, JobSchedulerProvider.class, b.schedulers, JobScheduler::name, config,
                b.discover).chosen();
        this.blobs = new Plugins<>("blob store", "dev.koder.training:training-core", Training.BLOB_PROPERTY,
                BlobStoreProvider.class, b.blobStores, BlobStore::location, config, b.discover).chosen();
        this.checkpoints = storePart("checkpoint store", Training.CHECKPOINTS_PROPERTY, CheckpointStoreProvider.class,
                List.of());
        this.files = storePart("file store", Training.FILES_PROPERTY, FileStoreProvider.class, List.of());
        this.keys = storePart("key store", Training.KEYS_PROPERTY, AccessKeyStoreProvider.class, List.of());
        this.trackingState = storePart("tracking state store", Training.TRACKING_STATE_PROPERTY,
                TrackingStateStoreProvider.class, List.of());
        this.outbox = storePart("outbox store", Training.OUTBOX_STORE_PROPERTY, OutboxStoreProvider.class, List.of());
    }

    /** @return the lease of a service that may run jobs; taken by nobody yet */
    WorkerLease lease() {
        return storePart("worker lease", Training.LEASE_PROPERTY, WorkerLeaseProvider.class, b.leases);
    }

    private <T> List<T> all(String kind, Class<? extends Provider<T>> type) {
        return new Plugins<>(kind, "", "", type, List.<T>of(), Object::toString, home.config, true).all();
    }

    /**
     * A part of the store: the plugin its property names; without it, the one named like the job store
     * ({@value Training#STORE_PROPERTY}: a store module that lets instances share a store brings every part under
     * the same name), else the highest ranked (the embedded one). One passed in code comes first.
     */
    private <T> T storePart(String kind, String property, Class<? extends Provider<T>> type, List<T> explicit) {
        Plugins<T> plugins = new Plugins<>(kind, STORES, property, type, explicit, x -> "explicit", home.config,
                b.discover);
        Map<String, String> properties = home.properties;
        String named = properties.get(Training.STORE_PROPERTY);
        if (!properties.containsKey(property) && explicit.isEmpty() && named != null
                && plugins.names().contains(named)) {
            return plugins.named(named);
        }
        return plugins.chosen();
    }
}
