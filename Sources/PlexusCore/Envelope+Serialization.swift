extension Envelope {
    /// The wire form's bytes: exactly `json.serialized()` (a test holds the two equal), written
    /// field by field instead of through an object built first. Every node serializes every
    /// message it logs, origin and relay alike, and building the object (eleven keyed inserts,
    /// each hashing its key) cost more than writing the bytes.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(1_024)
        JSONWriter.append(#"{"message_uuid":"#, to: &out)
        JSONWriter.writeString(messageID.description, into: &out)
        JSONWriter.append(#","origin_ts":"#, to: &out)
        JSONWriter.writeString(originTS.rfc3339, into: &out)
        JSONWriter.append(#","ack_ts":"#, to: &out)
        if let ackTS { JSONWriter.writeString(ackTS.rfc3339, into: &out) } else { JSONWriter.append("null", to: &out) }
        JSONWriter.append(#","topic":"#, to: &out)
        JSONWriter.writeString(topic.value, into: &out)
        JSONWriter.append(#","message_type":"#, to: &out)
        JSONWriter.writeString(messageType, into: &out)
        JSONWriter.append(#","source_subject_id":"#, to: &out)
        if let sourceSubjectID { JSONWriter.writeString(sourceSubjectID, into: &out) } else { JSONWriter.append("null", to: &out) }
        JSONWriter.append(#","destination_subject_ids":["#, to: &out)
        for (i, subject) in destinationSubjectIDs.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            JSONWriter.writeString(subject, into: &out)
        }
        JSONWriter.append(#"],"message_data":"#, to: &out)
        JSONWriter.write(messageData, into: &out)
        JSONWriter.append(#","message_metadata":"#, to: &out)
        JSONWriter.write(.object(messageMetadata), into: &out)
        JSONWriter.append(#","hops":["#, to: &out)
        for (i, hop) in hops.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            hop.write(into: &out)
        }
        out.append(UInt8(ascii: "]"))
        if let policyDecision {
            JSONWriter.append(#","policy_decision":"#, to: &out)
            JSONWriter.write(.object(policyDecision), into: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
