using Xunit;

namespace Sana.TestSupport;

/// <summary>
/// xunit class/collection fixture owning one <see cref="AzuriteProcess"/> for the tests that share it. Azurite is installed
/// on first use; when that fails, initialisation throws and every test using the fixture fails with why and what to run,
/// so only tests that need Azurite take this fixture.
/// </summary>
public sealed class AzuriteFixture : IAsyncLifetime
{
    private AzuriteProcess? _azurite;

    public AzuriteProcess Azurite => _azurite ?? throw new InvalidOperationException("Azurite fixture is not initialised");

    public string ConnectionString => Azurite.ConnectionString;

    public async Task InitializeAsync() => _azurite = await AzuriteProcess.StartNewAsync();

    public async Task DisposeAsync()
    {
        if (_azurite is not null)
        {
            await _azurite.DisposeAsync();
        }
    }
}
