using System.Collections.Concurrent;
using Orleans.Serialization;
using Orleans.Storage;

namespace Sana.Orleans.Grains.Tests.Support;

/// <summary>
/// Grain storage that outlives any one silo of an in-process test cluster (as Azure tables outlive a VM): job state
/// written before a silo is killed is still there for the activation that resumes the job.
/// </summary>
public sealed class SharedGrainStorage(string clusterId, Serializer serializer) : IGrainStorage
{
    private static readonly ConcurrentDictionary<string, (byte[] State, string ETag)> Rows = new();

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        if (Rows.TryGetValue(Key(stateName, grainId), out var row))
        {
            grainState.State = serializer.Deserialize<T>(row.State);
            grainState.ETag = row.ETag;
            grainState.RecordExists = true;
        }

        return Task.CompletedTask;
    }

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        var key = Key(stateName, grainId);
        var etag = Guid.NewGuid().ToString("N");
        var bytes = serializer.SerializeToArray(grainState.State);
        Rows.AddOrUpdate(
            key,
            _ => grainState.ETag is null ? (bytes, etag) : throw new InconsistentStateException("row vanished", "", grainState.ETag),
            (_, old) => old.ETag == grainState.ETag ? (bytes, etag) : throw new InconsistentStateException("etag mismatch", old.ETag, grainState.ETag ?? ""));
        grainState.ETag = etag;
        grainState.RecordExists = true;
        return Task.CompletedTask;
    }

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        Rows.TryRemove(Key(stateName, grainId), out _);
        grainState.ETag = null;
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private string Key(string stateName, GrainId grainId) => $"{clusterId}|{stateName}|{grainId}";
}
