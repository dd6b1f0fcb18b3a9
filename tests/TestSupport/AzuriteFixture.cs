using Xunit;

namespace Sana.TestSupport;

/// <summary>
/// xunit class/collection fixture owning one <see cref="AzuriteProcess"/> for the tests that share it. When Azurite is
/// not installed, initialisation throws and every test using the fixture fails with the install command.
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
