package densitylab.model;

/** The name and description every {@link ModelKind} carries. */
public abstract class NamedKind implements ModelKind {
    private final String name;
    private final String description;

    protected NamedKind(String name, String description) {
        this.name = name;
        this.description = description;
    }

    @Override
    public final String name() {
        return name;
    }

    @Override
    public final String description() {
        return description;
    }
}
