package org.tracegraph.gds;

import java.util.Optional;

import org.neo4j.configuration.Config;
import org.neo4j.gds.LicensingBusinessFacade;
import org.neo4j.gds.OpenGdsLicensingServiceBuilder;
import org.neo4j.gds.SysInfoProcFacade;
import org.neo4j.gds.applications.operations.FeatureTogglesRepository;
import org.neo4j.gds.core.model.OpenModelCatalog;
import org.neo4j.gds.core.write.NativeExportBuildersProvider;
import org.neo4j.gds.metrics.Metrics;
import org.neo4j.gds.procedures.integration.DefaultExportLocation;
import org.neo4j.gds.procedures.integration.LogAccessor;
import org.neo4j.gds.procedures.integration.OpenGraphDataScienceExtensionBuilder;
import org.neo4j.kernel.api.procedure.GlobalProcedures;
import org.neo4j.kernel.extension.ExtensionFactory;
import org.neo4j.kernel.extension.context.ExtensionContext;
import org.neo4j.kernel.lifecycle.Lifecycle;
import org.neo4j.logging.internal.LogService;

/**
 * Registers the Graph Data Science procedures' shared component with Neo4j.
 *
 * <p>Maven Central publishes GDS as its modules (org.neo4j.gds:proc and its dependencies) but not the packaged
 * plugin, whose only extra is the extension that assembles those modules at start-up. This is that extension,
 * for the community edition: native write-back, in-memory model catalog, no model persistence, no metrics.
 */
public final class TracegraphGdsExtension extends ExtensionFactory<TracegraphGdsExtension.Dependencies> {

    public TracegraphGdsExtension() {
        super("gds.tracegraph");
    }

    @Override
    public Lifecycle newInstance(ExtensionContext context, Dependencies dependencies) {
        var log = new LogAccessor().getLog(dependencies.logService(), getClass());
        var config = dependencies.config();
        var procedures = dependencies.globalProcedures();
        // gds.version(), gds.debug.sysInfo() and gds.license.state() (what the graphdatascience client asks first)
        var licensing = new LicensingBusinessFacade(new OpenGdsLicensingServiceBuilder().build(config));
        procedures.registerComponent(SysInfoProcFacade.class, ctx -> new SysInfoProcFacade(licensing), true);
        var built = OpenGraphDataScienceExtensionBuilder.create(
            log,
            procedures,
            config,
            (database, configuration) -> new NativeExportBuildersProvider(),
            new DefaultExportLocation(log, config),
            new FeatureTogglesRepository(),
            Metrics.DISABLED,
            new OpenModelCatalog(),
            model -> {
                throw new UnsupportedOperationException("storing models needs GDS Enterprise");
            },
            Optional.empty(),
            Optional.empty(),
            Optional.empty());
        return built.getLeft().build();
    }

    /** What Neo4j injects into the extension. */
    public interface Dependencies {
        Config config();

        GlobalProcedures globalProcedures();

        LogService logService();
    }
}
