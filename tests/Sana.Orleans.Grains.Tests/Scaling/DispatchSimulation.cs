using Sana.Orleans.Grains.Jobs;

namespace Sana.Orleans.Grains.Tests.Scaling;

/// <summary>
/// A discrete-event simulation of one job over the real <see cref="ChunkDispatcher"/>, driven the way
/// GenerationJobGrain drives it (no Orleans): after every event each listed, idle worker is offered a chunk of its
/// micro-batch times <paramref name="microBatchesPerChunk"/>; a chunk ends after <paramref name="chunkOverhead"/> plus
/// its images over the worker's speed; a worker that dies fails its chunk in flight and leaves the list
/// <paramref name="failureDetection"/> seconds later (membership declaring the silo dead). Deterministic.
/// </summary>
public sealed class DispatchSimulation(
    IReadOnlyList<SimWorker> workers, int microBatchesPerChunk = 1, double chunkOverhead = 0.05, double failureDetection = 0, Action<string>? trace = null)
{
    private enum Kind
    {
        Finish,
        Fail,
        Leave,
    }

    /// <summary>Runs one job of <paramref name="total"/> images to the end; <c>trace</c> hears of every chunk handed out.</summary>
    public SimResult Run(int total)
    {
        var clock = new SimulationClock();
        var dispatcher = new ChunkDispatcher(total, [], clock);
        var events = new PriorityQueue<(Kind Kind, SimWorker Worker, int[] Chunk), (double, long)>();
        var listed = workers.ToList();
        var counted = new int[total];
        var computed = new int[total];
        var byWorker = workers.ToDictionary(w => w.Id, _ => 0, StringComparer.Ordinal);
        var (chunks, copies, seq, makespan) = (0, 0, 0L, 0.0);
        foreach (var w in workers.Where(w => w.Dies))
        {
            events.Enqueue((Kind.Leave, w, []), (w.DiesAt + failureDetection, seq++));
        }

        void Dispatch()
        {
            foreach (var w in listed)
            {
                var pendingBefore = dispatcher.Pending;
                if (dispatcher.TryTake(w.Id, w.MicroBatch * microBatchesPerChunk, listed.Count) is not { } chunk)
                {
                    continue;
                }

                chunks++;
                trace?.Invoke(FormattableString.Invariant($"{clock.Now,8:F2}s {w.Id} takes {chunk.Length} from {chunk[0]}, {dispatcher.Pending} waiting"));
                copies += pendingBefore == 0 ? 1 : 0;
                var end = clock.Now + chunkOverhead + (chunk.Length / w.ImagesPerSecond);
                var dead = end > w.DiesAt;
                var at = dead ? Math.Max(clock.Now, w.DiesAt) + failureDetection : end;
                events.Enqueue((dead ? Kind.Fail : Kind.Finish, w, chunk), (at, seq++));
            }
        }

        Dispatch();
        while (!dispatcher.IsComplete)
        {
            if (!events.TryDequeue(out var e, out var when))
            {
                throw new InvalidOperationException($"simulation stalled at {clock.Now:F2}s with {total - dispatcher.Completed} images left");
            }

            clock.Now = when.Item1;
            switch (e.Kind)
            {
                case Kind.Finish:
                    foreach (var i in e.Chunk)
                    {
                        computed[i]++;
                    }

                    foreach (var i in dispatcher.Complete(e.Worker.Id, e.Chunk))
                    {
                        counted[i]++;
                        byWorker[e.Worker.Id]++;
                    }

                    makespan = clock.Now;
                    break;
                case Kind.Fail:
                    dispatcher.Fail(e.Worker.Id);
                    listed.Remove(e.Worker);
                    break;
                default:
                    listed.Remove(e.Worker);
                    break;
            }

            Dispatch();
        }

        return new SimResult(makespan, counted, computed, byWorker, chunks, copies);
    }
}
